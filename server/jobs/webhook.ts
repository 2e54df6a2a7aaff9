// Webhook delivery: POST JSON, retried with exponential backoff on network errors, 5xx, 408 and 429, after
// the receiver's Retry-After when it sends one. A 4xx other than 408/429 is the receiver refusing, and a
// destination the policy refuses is never retried: neither would change its mind.
import http from 'node:http';
import https from 'node:https';
import type { Clock } from '../../lib/comfy/types';
import {
  guardedLookup,
  type Resolver,
  refusedUrl,
  type WebhookPolicy,
  WebhookRefused,
} from './webhook-guard';

export interface WebhookAnswer {
  status: number;
  /** The Retry-After header, if any. */
  retryAfter: string | null;
}

/** Sends one POST; rejects on network errors and with WebhookRefused for a refused destination. */
export type WebhookSender = (url: string, body: string, signal: AbortSignal) => Promise<WebhookAnswer>;

export interface WebhookDelivery {
  url: string;
  body: unknown;
  attempts: number;
  send: WebhookSender;
  clock: Clock;
  /** First retry delay; doubles each time. */
  baseDelayMs?: number;
  /** The longest Retry-After honoured; a longer one is cut to this. */
  maxRetryAfterMs?: number;
  isClosed?: () => boolean;
}

/** Returns the outcome stored in jobs.webhook_status: `delivered`, or `failed: <last reason>`. */
export async function deliverWebhook(d: WebhookDelivery): Promise<string> {
  const base = d.baseDelayMs ?? 1000;
  const maxRetryAfter = d.maxRetryAfterMs ?? 10 * 60_000;
  const body = JSON.stringify(d.body);
  let reason = 'not attempted';
  let wait = 0;
  for (let attempt = 0; attempt < d.attempts; attempt++) {
    if (attempt > 0) {
      await new Promise<void>((resolve) => d.clock.setTimeout(resolve, wait));
    }
    if (d.isClosed?.()) return `failed: server stopped (${reason})`;
    wait = base * 2 ** attempt;
    try {
      const res = await d.send(d.url, body, AbortSignal.timeout(10_000));
      if (res.status >= 200 && res.status < 300) return 'delivered';
      reason = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429 && res.status !== 408) break;
      const asked = retryAfterMs(res.retryAfter, d.clock.now());
      if (asked !== null) wait = Math.min(asked, maxRetryAfter);
    } catch (err) {
      if (err instanceof WebhookRefused) return `failed: refused: ${err.message}`;
      reason = err instanceof Error ? err.name : 'network error';
    }
  }
  return `failed: ${reason}`;
}

/** Retry-After as delay-seconds or an HTTP date, in ms from now; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * The production sender: node:http(s) with the guarded lookup, so the connection goes to the address
 * that was checked. No connection reuse (each delivery resolves and checks anew) and no redirects.
 */
export function guardedSender(policy: WebhookPolicy, resolve?: Resolver): WebhookSender {
  const lookup = guardedLookup(policy, resolve);
  return (url, body, signal) =>
    new Promise<WebhookAnswer>((done, fail) => {
      const refused = refusedUrl(url, policy);
      if (refused) {
        fail(new WebhookRefused(refused));
        return;
      }
      const target = new URL(url);
      const request = target.protocol === 'https:' ? https.request : http.request;
      const req = request(
        target,
        {
          method: 'POST',
          agent: false,
          lookup,
          signal,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'ComfyPulse-sync/1',
          },
        },
        (res) => {
          res.resume();
          const retryAfter = res.headers['retry-after'];
          done({
            status: res.statusCode ?? 0,
            retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
          });
        },
      );
      req.on('error', fail);
      req.end(body);
    });
}

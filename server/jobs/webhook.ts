// Webhook delivery: POST JSON, retried with exponential backoff on network errors and 5xx/429. A 4xx
// other than 429 is the receiver refusing; retrying would not change its mind.
import type { Clock, FetchLike } from '../../lib/comfy/types';

export interface WebhookDelivery {
  url: string;
  body: unknown;
  attempts: number;
  fetch: FetchLike;
  clock: Clock;
  /** First retry delay; doubles each time. */
  baseDelayMs?: number;
  isClosed?: () => boolean;
}

/** Returns the outcome stored in jobs.webhook_status: `delivered`, or `failed: <last reason>`. */
export async function deliverWebhook(d: WebhookDelivery): Promise<string> {
  const base = d.baseDelayMs ?? 1000;
  let reason = 'not attempted';
  for (let attempt = 0; attempt < d.attempts; attempt++) {
    if (attempt > 0) {
      await new Promise<void>((resolve) => d.clock.setTimeout(resolve, base * 2 ** (attempt - 1)));
    }
    if (d.isClosed?.()) return `failed: server stopped (${reason})`;
    try {
      const res = await d.fetch(d.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'ComfyPulse-sync/1' },
        body: JSON.stringify(d.body),
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      await res.body?.cancel().catch(() => {});
      if (res.ok) return 'delivered';
      reason = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429 && res.status !== 408) break;
    } catch (err) {
      reason = err instanceof Error ? err.name : 'network error';
    }
  }
  return `failed: ${reason}`;
}

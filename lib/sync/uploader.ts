// Uploads the outbox to POST /v1/ingest in batches. The rule that keeps records safe: a record leaves the
// outbox only on our server's validated verdict for that very record (contract C1 in lib/sync/schema.ts):
// a 200 that carries `X-ComfyPulse: 1` and one result per record. `applied`/`unchanged` acknowledge it;
// `rejected` moves it to the dead-letter store. Every other answer keeps every record and backs off:
// HTML, other JSON, 404, 405, 5xx, a timeout, a TLS error, a redirect to a login page. So a mistyped
// URL, an nginx or another app answering for a while costs nothing but time.
//
// Backoff is exponential with jitter up to a cap and never gives up. A 413 splits the batch (our server
// says by how much); a record alone that our server still finds too large becomes a dead letter, never
// a deletion. A 413 from something else (a proxy's body limit) splits too, down to one record per request,
// since splitting never loses anything; beyond that it backs off like any foreign answer.
import type { Clock, FetchLike, Random } from '../comfy/types';
import type { OutboxEntry, SyncOutbox, Verdict } from './outbox';
import type { ForeignAnswer, SyncProblem } from './problem';
import { IngestErrorSchema, IngestResponseSchema, type IngestResult } from './schema';

/** Every answer of our sync server under /v1 carries this mark (contract C1); never trusted alone. */
export const COMFYPULSE_HEADER = 'X-ComfyPulse';
export const COMFYPULSE_HEADER_VALUE = '1';

export interface SyncTarget {
  /** Base URL of the sync server, e.g. `https://pulse.example.com`. */
  url: string;
  apiKey: string;
}

export interface UploaderOptions {
  outbox: SyncOutbox;
  /** The current target, or null when sync is off (the default). Read before every upload. */
  getTarget: () => SyncTarget | null | Promise<SyncTarget | null>;
  fetch: FetchLike;
  clock: Clock;
  random: Random;
  batchSize?: number;
  /** First retry delay and the cap of the exponential backoff. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per request. */
  timeoutMs?: number;
}

export type FlushResult = 'drained' | 'disabled' | 'retrying';

/** What one POST came to. */
type Outcome =
  | { kind: 'verdicts'; results: IngestResult[] }
  | { kind: 'too_large'; ours: true; maxRecords?: number; maxBytes?: number; message: string }
  | { kind: 'too_large'; ours: false; problem: SyncProblem }
  | { kind: 'retry'; problem: SyncProblem; retryAfterMs?: number };

/** Remote text is kept short: it is shown in the options page and stored with each dead letter. */
const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…` : s);

const utf8 = new TextEncoder();

export class SyncUploader {
  private failures = 0;
  private timer: unknown = null;
  private running: Promise<FlushResult> | null = null;
  private again = false;
  private stopped = false;
  private readonly batchSize: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  /** Learned from 413s, for the current target: at most this many records, and bytes, per request. */
  private sizeCap: number;
  private byteCap = Number.POSITIVE_INFINITY;
  private capsFor = '';
  /** When the next scheduled attempt runs, or null. */
  nextAttemptAt: number | null = null;

  constructor(private readonly o: UploaderOptions) {
    this.batchSize = o.batchSize ?? 100;
    this.baseDelayMs = o.baseDelayMs ?? 2000;
    this.maxDelayMs = o.maxDelayMs ?? 5 * 60_000;
    this.sizeCap = this.batchSize;
  }

  /** Upload soon (after an enqueue, or when the browser comes back online). Coalesces calls. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // During a backoff wait a kick does not hammer a failing endpoint; the timer will run.
    if (this.timer !== null && this.failures > 0) return;
    this.schedule(0);
  }

  /** Try at once, even during a backoff wait (the user changed the sync settings). */
  retryNow(): void {
    if (this.stopped) return;
    this.failures = 0;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.o.clock.clearTimeout(this.timer);
    this.timer = null;
    this.nextAttemptAt = null;
  }

  /** Resolves when the upload in progress (if any) has finished. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private schedule(delayMs: number): void {
    this.o.clock.clearTimeout(this.timer);
    this.nextAttemptAt = this.o.clock.now() + delayMs;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = null;
      this.nextAttemptAt = null;
      void this.flush();
    }, delayMs);
  }

  /** Uploads until the outbox is empty or an attempt fails (then a retry is scheduled). */
  flush(): Promise<FlushResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.drain()
      .catch(async (err: unknown): Promise<FlushResult> => {
        // Anything unexpected (IndexedDB quota, a throwing config reader) must not end the loop.
        const message = clip(err instanceof Error ? err.message : String(err));
        return this.retryLater({ kind: 'internal', message });
      })
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          if (this.timer === null) this.schedule(0);
        }
      });
    return this.running;
  }

  private async retryLater(problem: SyncProblem, retryAfterMs?: number): Promise<FlushResult> {
    this.failures++;
    await this.o.outbox.setMeta('problem', problem).catch(() => {});
    if (!this.stopped) this.schedule(retryAfterMs ?? this.backoffDelay());
    return 'retrying';
  }

  private async drain(): Promise<FlushResult> {
    const target = await this.o.getTarget();
    if (!target || this.stopped) return 'disabled';
    if (target.url !== this.capsFor) {
      this.capsFor = target.url;
      this.sizeCap = this.batchSize;
      this.byteCap = Number.POSITIVE_INFINITY;
    }
    for (;;) {
      const batch = this.withinBytes(await this.o.outbox.peek(this.sizeCap));
      if (batch.length === 0) {
        this.failures = 0;
        return 'drained';
      }
      const outcome = await this.post(target, batch);
      if (outcome.kind === 'retry') return this.retryLater(outcome.problem, outcome.retryAfterMs);
      if (outcome.kind === 'too_large') {
        const limits: { maxRecords?: number; maxBytes?: number } = outcome.ours ? outcome : {};
        if (batch.length > 1) {
          this.sizeCap = Math.max(1, Math.min(Math.floor(batch.length / 2), limits.maxRecords ?? Infinity));
          if (limits.maxBytes !== undefined) this.byteCap = limits.maxBytes;
          continue;
        }
        if (!outcome.ours) return this.retryLater(outcome.problem);
        // Our server's verdict on this one record: keep it where the user can see, export and retry it.
        await this.settleBatch(batch, [{ status: 'rejected', code: 'too_large', message: outcome.message }]);
        continue;
      }
      await this.settleBatch(batch, outcome.results);
    }
  }

  /** The longest prefix of `batch` whose request body fits the learned byte limit (at least one record). */
  private withinBytes(batch: OutboxEntry[]): OutboxEntry[] {
    if (this.byteCap === Number.POSITIVE_INFINITY) return batch;
    let bytes = '{"records":[]}'.length;
    let n = 0;
    for (const e of batch) {
      bytes += utf8.encode(JSON.stringify(e.record)).length + 1;
      if (n > 0 && bytes > this.byteCap) break;
      n++;
    }
    return batch.slice(0, n);
  }

  /** `results[i]` judges `batch[i]`; a rejection may also be the uploader's reading of our 413. */
  private async settleBatch(
    batch: OutboxEntry[],
    results: (IngestResult | { status: 'rejected'; code: string; message: string })[],
  ): Promise<void> {
    const acked: OutboxEntry[] = [];
    const rejected: { entry: OutboxEntry; verdict: Verdict }[] = [];
    batch.forEach((entry, i) => {
      const r = results[i]!;
      if (r.status === 'rejected') {
        rejected.push({ entry, verdict: { code: r.code, message: clip(r.message, 2000), by: 'server' } });
      } else acked.push(entry);
    });
    const now = this.o.clock.now();
    await this.o.outbox.settle(acked, rejected, now);
    await this.o.outbox.setMeta('lastSyncAt', now);
    const first = rejected[0];
    await this.o.outbox.setMeta(
      'problem',
      first
        ? {
            kind: 'rejected',
            count: rejected.length,
            promptId: first.entry.record.promptId,
            code: first.verdict.code,
            message: first.verdict.message,
          }
        : null,
    );
    this.failures = 0;
  }

  /** Exponential with "equal jitter": half fixed, half random, so clients spread out but never wait 0. */
  private backoffDelay(): number {
    const exp = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(this.failures - 1, 30));
    return Math.round(exp / 2 + (exp / 2) * this.o.random());
  }

  private async post(target: SyncTarget, batch: OutboxEntry[]): Promise<Outcome> {
    const url = `${target.url.replace(/\/+$/, '')}/v1/ingest`;
    const origin = new URL(url).origin;
    const timeoutMs = this.o.timeoutMs ?? 30_000;
    let res: Response;
    let text: string;
    try {
      res = await this.o.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${target.apiKey}` },
        body: JSON.stringify({ records: batch.map((e) => e.record) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      // Never include the request (it carries the key) in what is stored or shown.
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      return {
        kind: 'retry',
        problem: timedOut ? { kind: 'timeout', origin, afterMs: timeoutMs } : { kind: 'unreachable', origin },
      };
    }
    const json = parseJson(text);
    const retryAfter = Number(res.headers.get('retry-after'));
    const retryAfterMs =
      (res.status === 429 || res.status === 503) && retryAfter > 0
        ? Math.min(retryAfter * 1000, this.maxDelayMs)
        : undefined;

    if (res.headers.get(COMFYPULSE_HEADER) !== COMFYPULSE_HEADER_VALUE) {
      const problem: SyncProblem = { kind: 'not_comfypulse', ...foreignAnswer(res) };
      if (res.status === 413) return { kind: 'too_large', ours: false, problem };
      return { kind: 'retry', problem, ...(retryAfterMs !== undefined && { retryAfterMs }) };
    }

    if (res.status === 200) {
      const parsed = IngestResponseSchema.safeParse(json);
      if (parsed.success && parsed.data.results.length === batch.length)
        return { kind: 'verdicts', results: parsed.data.results };
      const detail = parsed.success
        ? `${parsed.data.results.length} results for ${batch.length} records`
        : clip(text, 200);
      return { kind: 'retry', problem: { kind: 'incompatible', status: 200, detail } };
    }
    if (res.status === 413) {
      const error = IngestErrorSchema.safeParse(json);
      const e = error.success ? error.data.error : undefined;
      return {
        kind: 'too_large',
        ours: true,
        message: clip(e?.message ?? 'HTTP 413'),
        ...(e?.maxRecords !== undefined && e.maxRecords >= 1 && { maxRecords: Math.floor(e.maxRecords) }),
        ...(e?.maxBytes !== undefined && e.maxBytes >= 1 && { maxBytes: e.maxBytes }),
      };
    }
    const error = IngestErrorSchema.safeParse(json);
    if (!error.success)
      return {
        kind: 'retry',
        problem: { kind: 'incompatible', status: res.status, detail: clip(text, 200) },
      };
    const { code, message } = error.data.error;
    const problem: SyncProblem =
      res.status === 401 || res.status === 403
        ? { kind: 'key_refused', status: res.status, message: clip(message) }
        : { kind: 'server_error', status: res.status, code: clip(code, 50), message: clip(message) };
    return { kind: 'retry', problem, ...(retryAfterMs !== undefined && { retryAfterMs }) };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Enough of a foreign answer for a person to recognise what answered: "400 text/html from nginx". */
function foreignAnswer(res: Response): ForeignAnswer {
  const contentType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const software = res.headers.get('server') ?? res.headers.get('x-powered-by');
  let redirectedTo: string | undefined;
  if (res.redirected && res.url) {
    const u = new URL(res.url);
    redirectedTo = clip(`${u.origin}${u.pathname}`, 200);
  }
  return {
    status: res.status,
    contentType: clip(contentType, 100),
    ...(software && { software: clip(software, 100) }),
    ...(redirectedTo !== undefined && { redirectedTo }),
  };
}

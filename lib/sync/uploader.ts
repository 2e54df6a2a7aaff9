// Uploads the outbox to POST /v1/ingest in batches. Transient failures (network, 5xx, 429) back off
// exponentially with jitter up to a cap and never give up, so an endpoint that is down for an hour loses
// nothing: the outbox holds every change and the first successful batch after recovery drains it.
// A batch the server refuses as invalid (400) or too large (413) is split until the offending record is
// alone; that record is dropped and counted, so one bad record cannot block the queue forever.
import type { Clock, FetchLike, Random } from '../comfy/types';
import type { OutboxEntry, SyncOutbox } from './outbox';
import { IngestResponseSchema } from './schema';

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

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export class SyncUploader {
  private failures = 0;
  private timer: unknown = null;
  private running: Promise<FlushResult> | null = null;
  private again = false;
  private stopped = false;
  private readonly batchSize: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  /** When the next scheduled attempt runs, or null. */
  nextAttemptAt: number | null = null;

  constructor(private readonly o: UploaderOptions) {
    this.batchSize = o.batchSize ?? 100;
    this.baseDelayMs = o.baseDelayMs ?? 2000;
    this.maxDelayMs = o.maxDelayMs ?? 5 * 60_000;
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
        this.failures++;
        const message = `Sync failed: ${err instanceof Error ? err.message : String(err)}`;
        await this.o.outbox.setMeta('lastError', message).catch(() => {});
        if (!this.stopped) this.schedule(this.backoffDelay());
        return 'retrying';
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

  private async drain(): Promise<FlushResult> {
    const target = await this.o.getTarget();
    if (!target || this.stopped) return 'disabled';
    let size = this.batchSize;
    for (;;) {
      const batch = await this.o.outbox.peek(size);
      if (batch.length === 0) {
        this.failures = 0;
        return 'drained';
      }
      try {
        await this.post(target, batch);
        await this.o.outbox.ack(batch);
        await this.o.outbox.setMeta('lastSyncAt', this.o.clock.now());
        await this.o.outbox.setMeta('lastError', null);
        this.failures = 0;
        size = this.batchSize;
      } catch (err) {
        const status = err instanceof HttpFailure ? err.status : 0;
        if ((status === 400 || status === 413) && batch.length > 1) {
          size = Math.max(1, Math.floor(batch.length / 2));
          continue;
        }
        if (status === 400 || status === 413) {
          await this.o.outbox.ack(batch);
          const { dropped } = await this.o.outbox.getSyncStatus();
          await this.o.outbox.setMeta('dropped', dropped + 1);
          await this.o.outbox.setMeta(
            'lastError',
            `The server refused job ${batch[0]!.record.promptId} (${(err as Error).message}); it was dropped`,
          );
          continue;
        }
        await this.o.outbox.setMeta('lastError', (err as Error).message);
        this.failures++;
        const retryAfter = err instanceof HttpFailure ? err.retryAfterMs : undefined;
        if (!this.stopped) this.schedule(retryAfter ?? this.backoffDelay());
        return 'retrying';
      }
    }
  }

  /** Exponential with "equal jitter": half fixed, half random, so clients spread out but never wait 0. */
  private backoffDelay(): number {
    const exp = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(this.failures - 1, 30));
    return Math.round(exp / 2 + (exp / 2) * this.o.random());
  }

  private async post(target: SyncTarget, batch: OutboxEntry[]): Promise<void> {
    const url = `${target.url.replace(/\/+$/, '')}/v1/ingest`;
    let res: Response;
    try {
      res = await this.o.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${target.apiKey}` },
        body: JSON.stringify({ records: batch.map((e) => e.record) }),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    } catch (err) {
      // Never include the request (it carries the key) in the message.
      const name = err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : 'unreachable';
      throw new HttpFailure(0, `Sync server ${name} (${new URL(url).origin})`);
    }
    if (res.ok) {
      IngestResponseSchema.parse(await res.json());
      return;
    }
    const body = (await res.json().catch(() => null)) as { error?: { message?: unknown } } | null;
    const detail =
      typeof body?.error?.message === 'string' ? body.error.message.slice(0, 300) : res.statusText;
    const retryAfter = Number(res.headers.get('retry-after'));
    const message =
      res.status === 401 || res.status === 403
        ? `The sync server refused the API key (${res.status}): ${detail}`
        : `Sync server answered ${res.status}: ${detail}`;
    throw new HttpFailure(
      res.status,
      message,
      res.status === 429 && retryAfter > 0 ? Math.min(retryAfter * 1000, this.maxDelayMs) : undefined,
    );
  }
}

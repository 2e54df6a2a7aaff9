// Group commit for ingest. Every request's records wait in a queue; a flush writes everything queued in
// a single statement (one transaction, one WAL flush), so N concurrent extensions cost one commit instead
// of N. No timer: the first request goes out at once, and those that arrive while flushes are in flight
// form the next one, so batches grow with load and latency stays one commit at rest. One flush at a time
// by default: measured on 2 cores at one node run per request, two in flight cost PostgreSQL about 35%
// more CPU per request (more, smaller statements) for no gain in throughput. With `maxInFlight` > 1,
// flushes in flight never share a job, so they cannot deadlock on each other's rows. A request is
// answered only after the statement carrying its records has committed (synchronous_commit as configured
// on the server, ON by default).
//
// A job is written by one key per statement (a request whose job another key's request in the same
// flush also writes waits for the next one), so that the statement can judge ownership record by record.
import { type GroupResult, type JobWrite, type JobWriteGroup, jobKey, type WriteOutcome } from './repo/jobs';

/** Per record of the request, in order; or the key was revoked before the statement ran (nothing written). */
export type IngestOutcome = { results: WriteOutcome[] } | { revoked: true };

interface Pending extends JobWriteGroup {
  jobKeys: string[];
  resolve(outcome: IngestOutcome): void;
  reject(err: unknown): void;
}

export interface IngestWriterOptions {
  write(groups: JobWriteGroup[]): Promise<GroupResult>;
  /** Records per statement: a flush takes queued requests until it holds at least this many. */
  maxRecords?: number;
  maxInFlight?: number;
}

export class IngestWriter {
  private queue: Pending[] = [];
  /** Jobs in flushes that have not finished, with how many in-flight requests carry each. */
  private readonly busyJobs = new Map<string, number>();
  private inFlight = 0;
  private readonly maxRecords: number;
  private readonly maxInFlight: number;

  constructor(private readonly opts: IngestWriterOptions) {
    this.maxRecords = opts.maxRecords ?? 2000;
    this.maxInFlight = opts.maxInFlight ?? 1;
  }

  /** Writes one request's records; resolves once they are committed, or reports the key revoked. */
  write(keyId: number, writes: JobWrite[]): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ keyId, writes, jobKeys: writes.map(jobKey), resolve, reject });
      this.pump();
    });
  }

  get queued(): number {
    return this.queue.length;
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.takeBatch();
      if (batch.length === 0) return; // everything queued touches a job being written; wait for it
      this.inFlight++;
      void this.flush(batch).finally(() => {
        this.inFlight--;
        for (const p of batch) for (const k of p.jobKeys) this.release(k);
        this.pump();
      });
    }
  }

  /**
   * Queued requests, oldest first, that touch no job of a flush in flight and no job another key writes
   * in this batch, up to maxRecords.
   */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    /** The key writing each job in this batch. */
    const writer = new Map<string, number | null>();
    let records = 0;
    for (const p of this.queue) {
      if (
        records >= this.maxRecords ||
        p.jobKeys.some((k) => this.busyJobs.has(k) || (writer.has(k) && writer.get(k) !== p.keyId))
      ) {
        rest.push(p);
        continue;
      }
      batch.push(p);
      records += p.writes.length;
      for (const k of p.jobKeys) writer.set(k, p.keyId);
    }
    for (const p of batch) for (const k of p.jobKeys) this.busyJobs.set(k, (this.busyJobs.get(k) ?? 0) + 1);
    this.queue = rest;
    return batch;
  }

  private release(k: string): void {
    const n = (this.busyJobs.get(k) ?? 1) - 1;
    if (n <= 0) this.busyJobs.delete(k);
    else this.busyJobs.set(k, n);
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      settle(batch, await this.opts.write(batch));
    } catch (err) {
      if (!isDataError(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      // One request's data must not fail the others it happened to share a statement with, nor one
      // record the rest of its request: the refused records are found by halving, and only they fail.
      for (const p of batch) {
        try {
          const outcome = await this.writeBisecting(p.keyId, p.writes);
          p.resolve(outcome);
        } catch (own) {
          p.reject(own);
        }
      }
    }
  }

  private async writeBisecting(keyId: number | null, writes: JobWrite[]): Promise<IngestOutcome> {
    try {
      const res = await this.opts.write([{ keyId, writes }]);
      return res.keyLive[0] ? { results: res.outcomes[0]! } : { revoked: true };
    } catch (err) {
      if (!isDataError(err)) throw err;
      if (writes.length === 1) {
        return { results: [{ status: 'rejected', code: 'unstorable', message: unstorableMessage(err) }] };
      }
      const half = Math.ceil(writes.length / 2);
      const first = await this.writeBisecting(keyId, writes.slice(0, half));
      if ('revoked' in first) return first;
      const second = await this.writeBisecting(keyId, writes.slice(half));
      if ('revoked' in second) return second;
      return { results: [...first.results, ...second.results] };
    }
  }
}

function settle(batch: Pending[], res: GroupResult): void {
  batch.forEach((p, i) => {
    p.resolve(res.keyLive[i] ? { results: res.outcomes[i]! } : { revoked: true });
  });
}

/**
 * Errors caused by the data of a statement rather than by the database being unavailable: PostgreSQL's
 * data exceptions (SQLSTATE class 22), integrity violations (23) and program limits (54, e.g. nesting
 * too deep), and a value JSON cannot serialise. Retrying such a statement as it is fails again.
 */
export function isDataError(err: unknown): boolean {
  if (err instanceof RangeError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

function unstorableMessage(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const detail = err instanceof Error ? err.message.slice(0, 300) : String(err);
  return `The database refused a value of this record${typeof code === 'string' ? ` (SQLSTATE ${code})` : ''}: ${detail}`;
}

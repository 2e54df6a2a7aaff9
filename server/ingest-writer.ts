// Group commit for ingest. Every request's records wait in a queue; one flush at a time writes everything
// queued in a single statement (one transaction, one WAL flush), so N concurrent extensions cost one
// commit instead of N. No timer: the first request goes out at once, and those that arrive while a
// flush is in flight form the next one, so batches grow with load and latency stays one commit at rest.
// A request is answered only after the statement carrying its records has committed (synchronous_commit
// as configured on the server, ON by default).
import type { GroupResult, JobWrite, JobWriteGroup } from './repo/jobs';

export type IngestOutcome = { applied: number } | { revoked: true };

interface Pending extends JobWriteGroup {
  resolve(outcome: IngestOutcome): void;
  reject(err: unknown): void;
}

export interface IngestWriterOptions {
  write(groups: JobWriteGroup[]): Promise<GroupResult>;
  /** Records per statement: a flush takes queued requests until it holds at least this many. */
  maxRecords?: number;
}

export class IngestWriter {
  private queue: Pending[] = [];
  private flushing = false;
  private readonly maxRecords: number;

  constructor(private readonly opts: IngestWriterOptions) {
    this.maxRecords = opts.maxRecords ?? 2000;
  }

  /** Writes one request's records; resolves once they are committed, or reports the key revoked. */
  write(keyId: number, writes: JobWrite[]): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ keyId, writes, resolve, reject });
      if (!this.flushing) void this.drain();
    });
  }

  get queued(): number {
    return this.queue.length;
  }

  private async drain(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        let records = 0;
        let n = 0;
        while (n < this.queue.length && (n === 0 || records < this.maxRecords)) {
          records += this.queue[n]!.writes.length;
          n++;
        }
        const batch = this.queue.splice(0, n);
        await this.flush(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      settle(batch, await this.opts.write(batch));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // One request's data must not fail the others it happened to share a statement with: retry each
      // alone, so only the request that really fails gets the error.
      for (const p of batch) {
        try {
          settle([p], await this.opts.write([p]));
        } catch (own) {
          p.reject(own);
        }
      }
    }
  }
}

function settle(batch: Pending[], res: GroupResult): void {
  batch.forEach((p, i) => {
    p.resolve(res.keyLive[i] ? { applied: res.applied[i] ?? 0 } : { revoked: true });
  });
}

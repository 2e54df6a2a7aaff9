/**
 * The engine's coalescing writer. Progress ticks arrive many times a second; IndexedDB transactions are
 * not free and wake every `liveQuery` in every open page. So:
 * - a tracked job is written at most once per `flushMs` (default 250 ms), with its latest state;
 * - a status change (queued → running → terminal) is written at once;
 * - one flush is one transaction, whatever the number of jobs, node runs and previews in it (bulkPut).
 * Flushes never overlap; a request during a flush runs right after it, with everything newer.
 */
import type { Clock, JobState } from '../../comfy/types';
import type { BlobRecord, ComfyPulseDB, JobRecord, NodeRunRecord } from '../db';
import { jobKeyOf, previewBlobKey } from '../storage/repo';
import { type KeptFields, toJobRecord, toNodeRunRecords } from './records';

export interface WriterStats {
  flushes: number;
  jobsWritten: number;
}

export interface Flushed {
  jobs: JobRecord[];
  nodeRuns: NodeRunRecord[];
}

export class JobWriter {
  readonly stats: WriterStats = { flushes: 0, jobsWritten: 0 };
  private dirty = new Map<string, JobState>();
  private previews = new Map<string, BlobRecord>();
  private lastStatus = new Map<string, string>();
  private lastNodes = new Map<string, JobState['nodes']>();
  /** createdAt / notifiedAt / thumbKey / workflowName as last read, so live records carry them too. */
  private kept = new Map<string, KeptFields>();
  private timer: unknown;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly db: ComfyPulseDB,
    private readonly serverId: string,
    private readonly clock: Clock,
    private readonly onFlushed: (f: Flushed) => void,
    private readonly flushMs = 250,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  /** The record the UI should see now (for the live channel), before it reaches the database. */
  liveRecord(job: JobState): JobRecord {
    return toJobRecord(this.serverId, job, this.keptFor(jobKeyOf(this.serverId, job.promptId)));
  }

  private keptFor(key: string): KeptFields {
    let k = this.kept.get(key);
    if (!k) {
      k = { createdAt: this.clock.now() };
      this.kept.set(key, k);
    }
    return k;
  }

  /** Seeds what the database already holds for a job being resumed. */
  remember(rec: JobRecord): void {
    this.kept.set(rec.key, {
      createdAt: rec.createdAt,
      notifiedAt: rec.notifiedAt,
      thumbKey: rec.thumbKey,
      workflowName: rec.workflowName,
    });
    this.lastStatus.set(rec.key, rec.status);
    this.lastNodes.set(rec.key, rec.nodes);
  }

  update(job: JobState): void {
    if (this.closed) return;
    const key = jobKeyOf(this.serverId, job.promptId);
    this.keptFor(key);
    this.dirty.set(key, job);
    if (this.lastStatus.get(key) !== job.status) this.requestFlush(0);
    else this.requestFlush(this.flushMs);
  }

  setPreview(jobKey: string, mime: string, bytes: Uint8Array): void {
    if (this.closed) return;
    const data = new Blob([bytes as BlobPart], { type: mime });
    this.previews.set(jobKey, {
      key: previewBlobKey(jobKey),
      jobKey,
      kind: 'preview',
      mime,
      data,
      size: data.size,
      createdAt: this.clock.now(),
    });
    this.requestFlush(this.flushMs);
  }

  /** Sets a field the engine's side effects own (thumbnail, workflow name) so later flushes keep it. */
  keep(jobKey: string, fields: Partial<KeptFields>): void {
    Object.assign(this.keptFor(jobKey), fields);
  }

  private requestFlush(delay: number): void {
    if (delay === 0) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.flushSoon();
      return;
    }
    if (this.timer === undefined) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.flushSoon();
      }, delay);
    }
  }

  private flushSoon(): void {
    this.flush().catch((e) => {
      // IndexedDB refused (quota, closing): the state is kept; try again later, less often
      this.onError(e);
      if (!this.closed) this.requestFlush(this.flushMs * 4);
    });
  }

  /** Writes everything pending now, after any flush in progress; resolves when it is committed. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (this.dirty.size === 0 && this.previews.size === 0) return;
    this.running = this.write().finally(() => {
      this.running = null;
    });
    await this.running;
  }

  private async write(): Promise<void> {
    const jobs = [...this.dirty.values()];
    const previews = [...this.previews.values()];
    this.dirty.clear();
    this.previews.clear();
    const { db } = this;
    const keys = jobs.map((j) => jobKeyOf(this.serverId, j.promptId));
    // Counted as written from now: a status change arriving while this commits is news only if it
    // differs from what this write carries.
    const before = keys.map((k) => this.lastStatus.get(k));
    jobs.forEach((j, i) => {
      this.lastStatus.set(keys[i]!, j.status);
    });
    let flushed: Flushed = { jobs: [], nodeRuns: [] };
    try {
      await db.transaction('rw', db.jobs, db.nodeRuns, db.blobs, async () => {
        const existing = await db.jobs.bulkGet(keys);
        const records = jobs.map((job, i) => {
          const key = keys[i]!;
          const prev = existing[i];
          const kept = this.keptFor(key);
          if (prev) {
            // the worker may have set these since we last looked
            kept.createdAt = prev.createdAt;
            if (prev.notifiedAt !== undefined) kept.notifiedAt = prev.notifiedAt;
            if (prev.thumbKey !== undefined) kept.thumbKey = prev.thumbKey;
            // a name relayed by the tab bridge wins; one stored earlier is kept
            kept.workflowName ??= prev.workflowName;
          }
          return toJobRecord(this.serverId, job, kept);
        });
        const nodeRuns = jobs.flatMap((job, i) =>
          this.lastNodes.get(keys[i]!) === job.nodes ? [] : toNodeRunRecords(this.serverId, job),
        );
        await db.jobs.bulkPut(records);
        if (nodeRuns.length) await db.nodeRuns.bulkPut(nodeRuns);
        if (previews.length) await db.blobs.bulkPut(previews);
        flushed = { jobs: records, nodeRuns };
      });
    } catch (e) {
      // keep the newest state for the next attempt unless something newer arrived meanwhile
      jobs.forEach((j, i) => {
        if (!this.dirty.has(keys[i]!)) this.dirty.set(keys[i]!, j);
        const prev = before[i];
        if (prev === undefined) this.lastStatus.delete(keys[i]!);
        else this.lastStatus.set(keys[i]!, prev);
      });
      for (const p of previews) if (!this.previews.has(p.jobKey)) this.previews.set(p.jobKey, p);
      throw e;
    }
    this.stats.flushes++;
    this.stats.jobsWritten += jobs.length;
    jobs.forEach((j, i) => {
      this.lastNodes.set(keys[i]!, j.nodes);
    });
    this.onFlushed(flushed);
  }

  /** Stops timers after writing what is pending. */
  async close(): Promise<void> {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush().catch(() => undefined);
    this.closed = true;
  }

  /** Drops per-job memory once a job is finished and written. */
  forget(jobKey: string): void {
    if (this.dirty.has(jobKey)) return;
    this.lastStatus.delete(jobKey);
    this.lastNodes.delete(jobKey);
    this.kept.delete(jobKey);
  }
}

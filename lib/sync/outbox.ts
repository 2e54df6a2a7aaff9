// The sync outbox: every job change the extension wants to upload, in its own Dexie database so it never
// collides with the extension's main store. One entry per job: a newer change replaces the queued one
// (coalescing), and an upload acknowledges only the exact version it sent, so a change made while a
// batch was in flight is uploaded again (at-least-once; the server's newest-wins ingest de-duplicates).
//
// Nothing is ever deleted without a verdict: a record leaves the outbox when our server acknowledged it
// (applied or unchanged), or moves to the dead-letter store when our server rejected it. Dead letters are
// kept until the user retries them (after a server upgrade) or a newer version of the same job is
// acknowledged, which supersedes them.
import Dexie, { type DexieOptions, type Table } from 'dexie';
import { fitRecord } from './fit';
import type { SyncProblem } from './problem';
import { type JobRecord, JobRecordSchema } from './schema';

export const SYNC_DB_NAME = 'comfypulse-sync';

export interface OutboxEntry {
  /** `${server}\u0000${promptId}` */
  key: string;
  record: JobRecord;
  /** Bumped on every change of this job; the ack compares it. */
  version: number;
  /** Global enqueue order (oldest first upload), renewed when the entry is replaced. */
  seq: number;
}

/** A record our server rejected (`by: 'server'`), or one the extension could not even queue (`'local'`). */
export interface DeadLetter {
  /** The job's key, as in the outbox: one dead letter per job, the latest rejected version. */
  key: string;
  /** The record as it was sent (`'local'`: as it was produced, possibly not valid). */
  record: JobRecord;
  /** The server's code (`invalid`, `not_owner`, `future_timestamp`, `unstorable`, `too_large`) or `invalid` locally. */
  code: string;
  message: string;
  by: 'server' | 'local';
  /** When it was rejected. */
  at: number;
}

export type Verdict = Pick<DeadLetter, 'code' | 'message' | 'by'>;

interface MetaRow {
  key: string;
  value: unknown;
}

export interface SyncStatus {
  lastSyncAt: number | null;
  pending: number;
  /** What went wrong with the last attempt, or null after a clean upload. */
  problem: SyncProblem | null;
  /** Records in the dead-letter store. */
  deadLetters: number;
}

type MetaKey = 'lastSyncAt' | 'problem';

const keyOf = (r: Pick<JobRecord, 'server' | 'promptId'>) => `${r.server}\u0000${r.promptId}`;

export class SyncOutbox extends Dexie {
  outbox!: Table<OutboxEntry, string>;
  meta!: Table<MetaRow, string>;
  deadLetters!: Table<DeadLetter, string>;

  constructor(options?: DexieOptions, name = SYNC_DB_NAME) {
    super(name, options);
    this.version(1).stores({ outbox: 'key, seq', meta: 'key' });
    // v2: the dead-letter store. v1's meta rows `lastError` (text) and `dropped` are no longer read.
    this.version(2).stores({ outbox: 'key, seq', meta: 'key', deadLetters: 'key, at' });
  }

  private async nextSeq(): Promise<number> {
    const row = await this.meta.get('seq');
    const seq = ((row?.value as number | undefined) ?? 0) + 1;
    await this.meta.put({ key: 'seq', value: seq });
    return seq;
  }

  /** Puts `valid` in the outbox unless a newer version of the job is queued. Inside a rw transaction. */
  private async put(valid: JobRecord): Promise<boolean> {
    const key = keyOf(valid);
    const existing = await this.outbox.get(key);
    if (existing && existing.record.updatedAt > valid.updatedAt) return false;
    await this.outbox.put({
      key,
      record: valid,
      version: (existing?.version ?? 0) + 1,
      seq: await this.nextSeq(),
    });
    return true;
  }

  /**
   * Queues the latest version of a job, cut to the ingest limits (lib/sync/fit.ts). An older record (by
   * updatedAt) than the one queued is ignored, so out-of-order callers cannot regress what will be
   * uploaded: returns false then. A record that is invalid for another reason than its size throws.
   */
  async enqueueJobChange(record: JobRecord): Promise<boolean> {
    const valid = JobRecordSchema.parse(fitRecord(record));
    return this.transaction('rw', this.outbox, this.meta, () => this.put(valid));
  }

  /** The oldest queued entries. */
  peek(limit: number): Promise<OutboxEntry[]> {
    return this.outbox.orderBy('seq').limit(limit).toArray();
  }

  /**
   * Applies our server's verdicts on a batch in one transaction: acknowledged entries leave the outbox,
   * rejected ones move to the dead-letter store. Only the version that was sent is touched: a newer
   * version queued meanwhile stays and is uploaded (and judged) on its own. Returns how many left.
   */
  async settle(
    acked: Pick<OutboxEntry, 'key' | 'version' | 'record'>[],
    rejected: { entry: Pick<OutboxEntry, 'key' | 'version' | 'record'>; verdict: Verdict }[] = [],
    at = Date.now(),
  ): Promise<number> {
    return this.transaction('rw', this.outbox, this.deadLetters, async () => {
      let removed = 0;
      const take = async (s: Pick<OutboxEntry, 'key' | 'version'>) => {
        const cur = await this.outbox.get(s.key);
        if (cur && cur.version === s.version) {
          await this.outbox.delete(s.key);
          removed++;
        }
      };
      for (const s of acked) {
        await take(s);
        // The server now holds this version; an older rejected one of the same job is superseded.
        const dead = await this.deadLetters.get(s.key);
        if (dead && dead.record.updatedAt <= s.record.updatedAt) await this.deadLetters.delete(s.key);
      }
      for (const { entry, verdict } of rejected) {
        await take(entry);
        await this.deadLetters.put({ key: entry.key, record: entry.record, ...verdict, at });
      }
      return removed;
    });
  }

  /** Removes acknowledged entries (see `settle`). */
  ack(sent: Pick<OutboxEntry, 'key' | 'version' | 'record'>[]): Promise<number> {
    return this.settle(sent);
  }

  /** Keeps a record the extension could not queue (it failed the ingest schema), so nothing is lost. */
  async deadLetterLocal(record: JobRecord, message: string, at = Date.now()): Promise<void> {
    await this.deadLetters.put({ key: keyOf(record), record, code: 'invalid', message, by: 'local', at });
  }

  /** Every dead letter, oldest first (the export). */
  listDeadLetters(): Promise<DeadLetter[]> {
    return this.deadLetters.orderBy('at').toArray();
  }

  /**
   * Moves every dead letter back into the outbox (after a server upgrade, or a fix of the cause), unless a
   * newer version of its job is queued already. A record that still fails this extension's own schema
   * stays a dead letter. Returns how many were queued again.
   */
  async retryDeadLetters(): Promise<number> {
    return this.transaction('rw', this.outbox, this.meta, this.deadLetters, async () => {
      let queued = 0;
      for (const dead of await this.deadLetters.toArray()) {
        const parsed = JobRecordSchema.safeParse(fitRecord(dead.record));
        if (!parsed.success) continue;
        if (await this.put(parsed.data)) queued++;
        await this.deadLetters.delete(dead.key);
      }
      return queued;
    });
  }

  async setMeta(key: MetaKey, value: unknown): Promise<void> {
    await this.meta.put({ key, value });
  }

  async getSyncStatus(): Promise<SyncStatus> {
    const [pending, lastSyncAt, problem, deadLetters] = await Promise.all([
      this.outbox.count(),
      this.meta.get('lastSyncAt'),
      this.meta.get('problem'),
      this.deadLetters.count(),
    ]);
    return {
      pending,
      lastSyncAt: (lastSyncAt?.value as number | undefined) ?? null,
      problem: (problem?.value as SyncProblem | undefined) ?? null,
      deadLetters,
    };
  }
}

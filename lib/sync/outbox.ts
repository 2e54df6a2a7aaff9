// The sync outbox: every job change the extension wants to upload, in its own Dexie database so it never
// collides with the extension's main store. One entry per job: a newer change replaces the queued one
// (coalescing), and an upload acknowledges only the exact version it sent, so a change made while a
// batch was in flight is uploaded again (at-least-once; the server's newest-wins ingest de-duplicates).
import Dexie, { type DexieOptions, type Table } from 'dexie';
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

interface MetaRow {
  key: string;
  value: unknown;
}

export interface SyncStatus {
  lastSyncAt: number | null;
  pending: number;
  lastError: string | null;
  /** Records the server refused as invalid (400) and that were dropped from the outbox. */
  dropped: number;
}

export class SyncOutbox extends Dexie {
  outbox!: Table<OutboxEntry, string>;
  meta!: Table<MetaRow, string>;

  constructor(options?: DexieOptions, name = SYNC_DB_NAME) {
    super(name, options);
    this.version(1).stores({ outbox: 'key, seq', meta: 'key' });
  }

  private async nextSeq(): Promise<number> {
    const row = await this.meta.get('seq');
    const seq = ((row?.value as number | undefined) ?? 0) + 1;
    await this.meta.put({ key: 'seq', value: seq });
    return seq;
  }

  /**
   * Queues the latest version of a job. An older record (by updatedAt) than the one queued is ignored,
   * so out-of-order callers cannot regress what will be uploaded. Returns false when ignored.
   */
  async enqueueJobChange(record: JobRecord): Promise<boolean> {
    const valid = JobRecordSchema.parse(record);
    const key = `${valid.server}\u0000${valid.promptId}`;
    return this.transaction('rw', this.outbox, this.meta, async () => {
      const existing = await this.outbox.get(key);
      if (existing && existing.record.updatedAt > valid.updatedAt) return false;
      await this.outbox.put({
        key,
        record: valid,
        version: (existing?.version ?? 0) + 1,
        seq: await this.nextSeq(),
      });
      return true;
    });
  }

  /** The oldest queued entries. */
  peek(limit: number): Promise<OutboxEntry[]> {
    return this.outbox.orderBy('seq').limit(limit).toArray();
  }

  /** Removes the entries whose version is still the one that was sent; newer versions stay queued. */
  async ack(sent: Pick<OutboxEntry, 'key' | 'version'>[]): Promise<number> {
    return this.transaction('rw', this.outbox, async () => {
      let removed = 0;
      for (const s of sent) {
        const cur = await this.outbox.get(s.key);
        if (cur && cur.version === s.version) {
          await this.outbox.delete(s.key);
          removed++;
        }
      }
      return removed;
    });
  }

  async setMeta(key: 'lastSyncAt' | 'lastError' | 'dropped', value: unknown): Promise<void> {
    await this.meta.put({ key, value });
  }

  async getSyncStatus(): Promise<SyncStatus> {
    const [pending, lastSyncAt, lastError, dropped] = await Promise.all([
      this.outbox.count(),
      this.meta.get('lastSyncAt'),
      this.meta.get('lastError'),
      this.meta.get('dropped'),
    ]);
    return {
      pending,
      lastSyncAt: (lastSyncAt?.value as number | undefined) ?? null,
      lastError: (lastError?.value as string | undefined) ?? null,
      dropped: (dropped?.value as number | undefined) ?? 0,
    };
  }
}

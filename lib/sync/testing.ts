// Test helpers for lib/sync: an isolated in-memory IndexedDB per outbox, job records, and a fake ingest
// endpoint with the server's newest-wins rule that counts what it received.
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { SyncOutbox } from './outbox';
import { type IngestBatch, IngestBatchSchema, type IngestResult, type JobRecord } from './schema';

export function memoryOutbox(): SyncOutbox {
  return new SyncOutbox({ indexedDB: new IDBFactory(), IDBKeyRange });
}

export function record(promptId: string, updatedAt: number, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    server: 'http://127.0.0.1:8188',
    promptId,
    status: 'running',
    own: true,
    updatedAt,
    currentNode: '3',
    progress: 0.5,
    outputs: {},
    nodes: [],
    ...overrides,
  };
}

export interface FakeIngest {
  fetch: typeof fetch;
  /** Latest stored record per prompt id. */
  stored: Map<string, JobRecord>;
  /** Every record received, in order (duplicates included). */
  received: JobRecord[];
  requests: number;
  /** Decides the answer; default 200. Return a Response to answer that instead. */
  respond: (batch: IngestBatch, attempt: number) => Response | Promise<Response> | undefined;
}

export function fakeIngest(): FakeIngest {
  const f: FakeIngest = {
    stored: new Map(),
    received: [],
    requests: 0,
    respond: () => undefined,
    fetch: async (_url, init) => {
      f.requests++;
      const batch = IngestBatchSchema.parse(JSON.parse(String(init?.body)));
      const override = await f.respond(batch, f.requests);
      if (override) return override;
      const results: IngestResult[] = batch.records.map((r) => {
        f.received.push(r);
        const cur = f.stored.get(r.promptId);
        if (cur && r.updatedAt <= cur.updatedAt) return { status: 'unchanged' };
        f.stored.set(r.promptId, r);
        return { status: 'applied' };
      });
      const applied = results.filter((r) => r.status === 'applied').length;
      return Response.json({ accepted: batch.records.length, applied, results });
    },
  };
  return f;
}

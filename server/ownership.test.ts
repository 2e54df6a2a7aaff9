// A job belongs to the key that first wrote it; jobs the server tracks itself belong to the server. Another
// key's write is refused for that record (not_owner) and the rest of its batch is kept.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from './db/database';
import { upsertJobs, writeJobGroups } from './repo/jobs';
import { createKey } from './repo/keys';
import {
  DB_KINDS,
  openTestDatabase,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from './testing/databases';
import { makeRecord } from './testing/records';

describe.each(DB_KINDS)('job ownership on %s', (kind) => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    tdb = await openTestDatabase(kind);
    srv = await startTestServer(tdb.db, { ingestBurst: 1000 });
    keyA = await srv.token(['ingest'], 'laptop-a');
    keyB = await srv.token(['ingest'], 'laptop-b');
  });
  afterAll(async () => {
    await srv?.close();
    await tdb?.dispose();
  });

  const ingest = async (token: string, records: unknown[]) => {
    const res = await srv.request('/v1/ingest', { method: 'POST', token, body: JSON.stringify({ records }) });
    expect(res.status).toBe(200);
    return (await res.json()) as {
      accepted: number;
      applied: number;
      results: { status: string; code?: string }[];
    };
  };
  const row = async (promptId: string) =>
    (await tdb.db.pool.query('SELECT * FROM jobs WHERE prompt_id = $1', [promptId])).rows[0];

  it("refuses key B's write to key A's job for that record only, and A still can write it", async () => {
    const job = makeRecord({ status: 'running', progress: 0.3, endedAt: undefined });
    expect((await ingest(keyA, [job])).results).toEqual([{ status: 'applied' }]);

    const takeover = { ...job, status: 'error' as const, progress: 1, updatedAt: job.updatedAt + 1000 };
    const own = makeRecord();
    const answer = await ingest(keyB, [takeover, own]);
    expect(answer).toMatchObject({
      accepted: 1,
      applied: 1,
      results: [{ status: 'rejected', code: 'not_owner' }, { status: 'applied' }],
    });
    expect(await row(job.promptId)).toMatchObject({ status: 'running', queued_by: 'laptop-a' });
    expect(await row(own.promptId)).toMatchObject({ queued_by: 'laptop-b' });

    const done = { ...job, status: 'success' as const, progress: 1, updatedAt: job.updatedAt + 2000 };
    expect((await ingest(keyA, [done])).results).toEqual([{ status: 'applied' }]);
    expect(await row(job.promptId)).toMatchObject({ status: 'success' });
  });

  it('refuses any key’s write to a job the server tracks itself, and the server’s own writes go on', async () => {
    const apiJob = makeRecord({ server: 'gpu', status: 'running', progress: 0.5, endedAt: undefined });
    await upsertJobs(tdb.db.pool, [{ ...apiJob, source: 'api', queuedBy: 'n8n' }]);
    const forged = {
      ...apiJob,
      status: 'success' as const,
      progress: 1,
      updatedAt: apiJob.updatedAt + 1000,
      outputs: { '9': { images: [{ filename: 'secret.png', subfolder: '../../', type: 'input' }] } },
    };
    expect((await ingest(keyA, [forged])).results).toEqual([
      { status: 'rejected', code: 'not_owner', message: expect.stringContaining('server') },
    ]);
    expect(await row(apiJob.promptId)).toMatchObject({ source: 'api', status: 'running' });
    const finished = {
      ...apiJob,
      status: 'success' as const,
      progress: 1,
      updatedAt: apiJob.updatedAt + 2000,
    };
    expect(await upsertJobs(tdb.db.pool, [{ ...finished, source: 'api', queuedBy: 'n8n' }])).toBe(1);
    expect(await row(apiJob.promptId)).toMatchObject({ source: 'api', status: 'success' });
  });

  it('answers a replay by the owner with unchanged and a replay by another key with not_owner', async () => {
    const job = makeRecord();
    await ingest(keyA, [job]);
    expect((await ingest(keyA, [job])).results).toEqual([{ status: 'unchanged' }]);
    expect((await ingest(keyB, [job])).results[0]).toMatchObject({ status: 'rejected', code: 'not_owner' });
  });

  it('lets two keys write the same new job in concurrent requests: one owns it, the other is refused', async () => {
    const job = makeRecord();
    const answers = await Promise.all([
      ingest(keyA, [job]),
      ingest(keyB, [{ ...job, updatedAt: job.updatedAt + 1 }]),
    ]);
    const owner = (await row(job.promptId)).queued_by;
    const [mine, theirs] = owner === 'laptop-a' ? answers : [answers[1]!, answers[0]!];
    expect(mine.results[0]!.status).toBe('applied');
    expect(theirs.results[0]).toMatchObject({ status: 'rejected', code: 'not_owner' });
  });
});

describe('ownership of a job another transaction creates while the statement runs (PostgreSQL)', () => {
  it('is read after the statement: the other key owns it, so the record is refused', async () => {
    const tdb = await openTestDatabase('postgres');
    const other = new pg.Client(tdb.db.clientConfig);
    try {
      await migrate(tdb.db);
      const a = await createKey(tdb.db.pool, 'a', ['ingest']);
      const b = await createKey(tdb.db.pool, 'b', ['ingest']);
      const job = makeRecord();
      await other.connect();
      await other.query('BEGIN');
      // Key A's insert, not yet committed: B's statement does not see it and waits on the conflict.
      await writeJobGroups(other as unknown as pg.PoolClient, [
        { keyId: a.key.id, writes: [{ ...job, source: 'extension', queuedBy: 'a' }] },
      ]);
      const racing = writeJobGroups(tdb.db.pool, [
        {
          keyId: b.key.id,
          writes: [{ ...job, updatedAt: job.updatedAt + 5, source: 'extension', queuedBy: 'b' }],
        },
      ]);
      await new Promise((r) => setTimeout(r, 200));
      await other.query('COMMIT');
      const { outcomes } = await racing;
      expect(outcomes[0]![0]).toMatchObject({ status: 'rejected', code: 'not_owner' });
    } finally {
      await other.end().catch(() => {});
      await tdb.dispose();
    }
  });
});

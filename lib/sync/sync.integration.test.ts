// The extension-side uploader against the real sync server and database, with the server down for a
// while in between: every job arrives exactly once, in its newest version, and the outbox drains.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DB_KINDS,
  openTestDatabase,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '../../server/testing/databases';
import { systemClock } from '../comfy/types';
import { memoryOutbox, record } from './testing';
import { SyncUploader } from './uploader';

describe.each(DB_KINDS)('outbox → sync server → %s across an outage', (kind) => {
  let tdb: TestDatabase;
  let srv: TestServer;

  beforeAll(async () => {
    tdb = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await srv?.close();
    await tdb?.dispose();
  });

  it('delivers every job exactly once after the endpoint comes back', async () => {
    srv = await startTestServer(tdb.db, { ingestBurst: 1000 });
    const port = srv.port;
    const apiKey = await srv.token(['ingest']);
    const outbox = memoryOutbox();
    let attempts = 0;
    const uploader = new SyncUploader({
      outbox,
      getTarget: () => ({ url: srv.url, apiKey }),
      fetch: (url, init) => {
        attempts++;
        return fetch(url, init);
      },
      clock: systemClock,
      random: Math.random,
      batchSize: 20,
      baseDelayMs: 50,
      maxDelayMs: 400,
    });
    const t0 = Date.now();
    const ids = Array.from(
      { length: 50 },
      (_, i) => `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`,
    );

    // Some jobs are uploaded while the endpoint is up.
    for (const id of ids.slice(0, 10)) await outbox.enqueueJobChange(record(id, t0, { server: 'local' }));
    uploader.kick();
    await expect.poll(async () => (await outbox.getSyncStatus()).pending, { timeout: 10_000 }).toBe(0);

    // Down: every job changes (twice) while nothing can be delivered.
    await srv.close();
    for (const [n, id] of ids.entries()) {
      await outbox.enqueueJobChange(record(id, t0 + 1, { server: 'local', progress: 0.7 }));
      await outbox.enqueueJobChange(
        record(id, t0 + 2, {
          server: 'local',
          status: n % 7 ? 'success' : 'error',
          progress: 1,
          currentNode: null,
        }),
      );
      uploader.kick();
    }
    const failedBefore = attempts;
    await expect.poll(() => attempts - failedBefore, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const down = await outbox.getSyncStatus();
    expect(down.pending).toBe(50);
    expect(down.problem).toMatchObject({ kind: 'unreachable' });

    // Back on the same address: the outbox drains by itself.
    srv = await startTestServer(tdb.db, { ingestBurst: 1000, port });
    await expect.poll(async () => (await outbox.getSyncStatus()).pending, { timeout: 15_000 }).toBe(0);
    uploader.stop();
    outbox.close();

    const rows = (
      await tdb.db.pool.query(
        `SELECT prompt_id, status, progress, updated_at FROM jobs WHERE server = 'local' ORDER BY prompt_id`,
      )
    ).rows;
    expect(rows.map((r) => r.prompt_id)).toEqual(ids);
    expect(rows.every((r) => Number(r.updated_at) === t0 + 2 && r.progress === 1)).toBe(true);
    expect(rows.filter((r) => r.status === 'error')).toHaveLength(8);
  });
});

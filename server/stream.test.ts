import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from './db/database';
import type { JobDto } from './repo/jobs';
import {
  DB_KINDS,
  openTestDatabase,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from './testing/databases';
import { makeRecord } from './testing/records';
import { openSse, type SseReader } from './testing/sse';

const ingestVia = async (srv: TestServer, token: string, records: unknown[]) => {
  const res = await srv.request('/v1/ingest', { method: 'POST', token, body: JSON.stringify({ records }) });
  expect(res.status).toBe(200);
};
const isJob = (promptId: string, status?: string) => (e: { event: string; data: string }) =>
  e.event === 'job' &&
  (JSON.parse(e.data) as JobDto).promptId === promptId &&
  (status === undefined || (JSON.parse(e.data) as JobDto).status === status);

describe.each(DB_KINDS)('GET /v1/stream on %s', (kind) => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let read: string;
  let ingestKey: string;
  const readers: SseReader[] = [];
  const open = async (qs = '', headers: Record<string, string> = {}) => {
    const r = await openSse(`${srv.url}/v1/stream${qs}`, { authorization: `Bearer ${read}`, ...headers });
    readers.push(r);
    await r.waitFor((e) => e.event === 'ready');
    return r;
  };

  beforeAll(async () => {
    tdb = await openTestDatabase(kind);
    srv = await startTestServer(tdb.db, { ingestBurst: 1000 });
    read = await srv.token(['read']);
    ingestKey = await srv.token(['ingest']);
  });
  afterAll(async () => {
    for (const r of readers) r.close();
    await srv?.close();
    await tdb?.dispose();
  });

  it('streams each change with the row as data and its change number as id', async () => {
    const sse = await open();
    const r = makeRecord({ status: 'running', progress: 0.25, currentNode: '3', endedAt: undefined });
    await ingestVia(srv, ingestKey, [r]);
    const first = await sse.waitFor(isJob(r.promptId, 'running'));
    expect(JSON.parse(first.data)).toMatchObject({ progress: 0.25, currentNode: '3' });
    await ingestVia(srv, ingestKey, [{ ...r, status: 'success', progress: 1, updatedAt: r.updatedAt + 1 }]);
    const second = await sse.waitFor(isJob(r.promptId, 'success'));
    expect(Number(second.id)).toBeGreaterThan(Number(first.id));
  });

  it('streams every job of a statement that wrote many (one NOTIFY carries all their seqs)', async () => {
    const sse = await open();
    const records = Array.from({ length: 350 }, () => makeRecord({ nodes: [], outputs: {} }));
    await ingestVia(srv, ingestKey, records);
    for (const r of [records[0]!, records[299]!, records[300]!, records[349]!]) {
      await sse.waitFor(isJob(r.promptId, 'success'));
    }
  });

  it('applies the query filter', async () => {
    const onlyB = await open('?server=b&status=error');
    const a = makeRecord({ server: 'a', status: 'error' });
    const b = makeRecord({ server: 'b', status: 'error' });
    await ingestVia(srv, ingestKey, [a, b]);
    await onlyB.waitFor(isJob(b.promptId));
    expect(onlyB.events.some(isJob(a.promptId))).toBe(false);
  });

  it('replays changes after Last-Event-ID on reconnect', async () => {
    const sse = await open();
    const r1 = makeRecord();
    await ingestVia(srv, ingestKey, [r1]);
    const seen = await sse.waitFor(isJob(r1.promptId));
    sse.close();
    const missed = makeRecord();
    await ingestVia(srv, ingestKey, [missed]);
    const again = await open('', { 'last-event-id': seen.id! });
    const replayed = await again.waitFor(isJob(missed.promptId));
    expect(Number(replayed.id)).toBeGreaterThan(Number(seen.id));
    expect(again.events.some(isJob(r1.promptId))).toBe(false);
  });

  it('refuses a stream without a read key', async () => {
    const res = await fetch(`${srv.url}/v1/stream`, { headers: { authorization: `Bearer ${ingestKey}` } });
    expect(res.status).toBe(403);
  });
});

// Several stateless instances on one PostgreSQL: each has its own pool and LISTEN connection, so a change
// written through either must reach the SSE clients of both. (PGlite is embedded in one process, so
// multi-instance fan-out is a PostgreSQL-only deployment and is tested there.)
describe('two server instances on one PostgreSQL database', () => {
  let tdb: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  const readers: SseReader[] = [];

  beforeAll(async () => {
    tdb = await openTestDatabase('postgres');
    const secondDb = await openDatabase({ databaseUrl: tdb.url! });
    a = await startTestServer(tdb.db, { ingestBurst: 1000 });
    b = await startTestServer(secondDb, { ingestBurst: 1000 });
    const close = b.close;
    b.close = async () => {
      const report = await close();
      await secondDb.close();
      return report;
    };
  });
  afterAll(async () => {
    for (const r of readers) r.close();
    await a?.close();
    await b?.close();
    await tdb?.dispose();
  });

  it('both stream a change made through either instance', async () => {
    const read = await a.token(['read']);
    const ingestKey = await b.token(['ingest']);
    const streams = await Promise.all(
      [a, b].map(async (s) => {
        const r = await openSse(`${s.url}/v1/stream`, { authorization: `Bearer ${read}` });
        readers.push(r);
        await r.waitFor((e) => e.event === 'ready');
        return r;
      }),
    );
    const viaA = makeRecord();
    const viaB = makeRecord();
    await ingestVia(a, ingestKey, [viaA]);
    await ingestVia(b, ingestKey, [viaB]);
    for (const s of streams) {
      await s.waitFor(isJob(viaA.promptId));
      await s.waitFor(isJob(viaB.promptId));
    }
  });
});

describe('stream after the LISTEN connection is cut (PostgreSQL)', () => {
  it('reconnects and replays the changes made while it was away', async () => {
    const tdb = await openTestDatabase('postgres');
    const srv = await startTestServer(tdb.db, { ingestBurst: 1000 });
    const sse = await openSse(`${srv.url}/v1/stream`, {
      authorization: `Bearer ${await srv.token(['read'])}`,
    });
    try {
      const ingestKey = await srv.token(['ingest']);
      await sse.waitFor((e) => e.event === 'ready');
      const before = makeRecord();
      await ingestVia(srv, ingestKey, [before]);
      await sse.waitFor(isJob(before.promptId));
      // Kill the listener's backend (what a database failover or proxy timeout does).
      const killed = await tdb.db.pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
      );
      expect(killed.rowCount).toBe(1);
      const during = makeRecord();
      await ingestVia(srv, ingestKey, [during]);
      await sse.waitFor(isJob(during.promptId), 10_000);
      const after = makeRecord();
      await ingestVia(srv, ingestKey, [after]);
      await sse.waitFor(isJob(after.promptId), 10_000);
    } finally {
      sse.close();
      await srv.close();
      await tdb.dispose();
    }
  });
});

// GET /v1/stats/nodes (time per node class: total, median, slowest runs) and GET /v1/stats/servers (the
// dashboard's server filter), on PostgreSQL and on PGlite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../lib/sync/schema';
import type { NodeClassStat, ServerSeen } from './repo/jobs';
import {
  DB_KINDS,
  openTestDatabase,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from './testing/databases';
import { makeRecord } from './testing/records';

const NOW = Date.now();
const HOUR = 3600_000;

/** One job on `server` at `at` whose nodes ran for these durations (class type -> ms), plus one cached node. */
function job(server: string, at: number, runs: [string, number][], status: JobRecord['status'] = 'success') {
  return makeRecord({
    server,
    status,
    queuedAt: at,
    startedAt: at,
    endedAt: at + 1000,
    updatedAt: at + 1000,
    nodes: [
      { nodeId: '1', classType: 'CheckpointLoaderSimple', state: 'cached', cached: true },
      ...runs.map(([classType, durationMs], i) => ({
        nodeId: String(i + 2),
        classType,
        state: 'finished' as const,
        cached: false,
        startedAt: at + i,
        durationMs,
      })),
    ],
  });
}

describe.each(DB_KINDS)('node and server stats on %s', (kind) => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let read: string;
  const jobs = [
    job('a', NOW - 5 * HOUR, [
      ['KSampler', 100],
      ['VAEDecode', 10],
    ]),
    job('a', NOW - 4 * HOUR, [
      ['KSampler', 300],
      ['VAEDecode', 30],
    ]),
    job('a', NOW - 3 * HOUR, [['KSampler', 900]], 'error'),
    job('a', NOW - 2 * HOUR, [
      ['KSampler', 200],
      ['VAEDecode', 20],
    ]),
    job('b', NOW - HOUR, [['KSampler', 5000]]),
    job('b', NOW - 10 * 24 * HOUR, [['KSampler', 99_000]]),
  ];

  beforeAll(async () => {
    tdb = await openTestDatabase(kind);
    srv = await startTestServer(tdb.db);
    read = await srv.token(['read']);
    const res = await srv.request('/v1/ingest', {
      method: 'POST',
      token: await srv.token(['ingest']),
      body: JSON.stringify({ records: jobs }),
    });
    expect((await res.json()).applied).toBe(jobs.length);
  });
  afterAll(async () => {
    await srv?.close();
    await tdb?.dispose();
  });

  const stats = async (qs = '') => {
    const res = await srv.request(`/v1/stats/nodes${qs}`, { token: read });
    expect(res.status).toBe(200);
    const { classes } = (await res.json()) as { classes: NodeClassStat[] };
    return new Map(classes.map((c) => [c.classType, c]));
  };

  it('gives each class its median (between the middle two when even) and its slowest runs, slowest first', async () => {
    const byClass = await stats();
    const ks = byClass.get('KSampler')!;
    // The 10-day-old run is outside the default 7-day window.
    expect(ks).toMatchObject({ runs: 5, totalMs: 6500, medianMs: 300, maxMs: 5000 });
    expect(ks.slowest.map((s) => [s.server, s.durationMs])).toEqual([
      ['b', 5000],
      ['a', 900],
      ['a', 300],
    ]);
    expect(ks.slowest[0]).toMatchObject({
      promptId: jobs[4]!.promptId,
      nodeId: '2',
      startedAt: NOW - HOUR,
      workflowName: null,
    });
    expect(byClass.get('VAEDecode')).toMatchObject({ runs: 3, medianMs: 20, maxMs: 30 });
    expect(byClass.get('VAEDecode')!.slowest.map((s) => s.durationMs)).toEqual([30, 20, 10]);
  });

  it('counts cached runs apart and gives a class that only ever came from the cache no median or slowest run', async () => {
    // Cached runs have no start time, so no window excludes them: all six jobs count.
    expect((await stats()).get('CheckpointLoaderSimple')).toMatchObject({
      runs: 0,
      cachedRuns: 6,
      totalMs: 0,
      medianMs: 0,
      slowest: [],
    });
  });

  it('filters by server and by time window', async () => {
    const a = (await stats('?server=a')).get('KSampler')!;
    expect(a).toMatchObject({ runs: 4, medianMs: 250, maxMs: 900 });
    expect(a.slowest.every((s) => s.server === 'a')).toBe(true);
    const b = (await stats(`?server=b&since=${NOW - 30 * 24 * HOUR}`)).get('KSampler')!;
    expect(b).toMatchObject({ runs: 2, medianMs: 52_000, maxMs: 99_000 });
    expect((await stats('?server=nowhere')).size).toBe(0);
  });

  it('orders classes by total time and honours the limit', async () => {
    const res = await srv.request('/v1/stats/nodes?limit=1', { token: read });
    const { classes } = (await res.json()) as { classes: NodeClassStat[] };
    expect(classes.map((c) => c.classType)).toEqual(['KSampler']);
  });

  it('lists the servers seen, most recently active first', async () => {
    const res = await srv.request('/v1/stats/servers', { token: read });
    expect(res.status).toBe(200);
    const { servers } = (await res.json()) as { servers: ServerSeen[] };
    // The 10-day-old job of b still counts within the default 30 days.
    expect(servers).toEqual([
      { server: 'b', jobs: 2, active: 0, lastAt: NOW - HOUR },
      { server: 'a', jobs: 4, active: 0, lastAt: NOW - 2 * HOUR },
    ]);
    const recent = await srv.request(`/v1/stats/servers?since=${NOW - 90 * 60_000}`, { token: read });
    expect((await recent.json()).servers.map((s: ServerSeen) => s.server)).toEqual(['b']);
  });

  it.each([
    ['/v1/stats/nodes?server=', 400],
    ['/v1/stats/nodes?status=success', 400],
    ['/v1/stats/servers?limit=0', 400],
    ['/v1/stats/servers?since=yesterday', 400],
  ])('answers %s with %i', async (path, status) => {
    const res = await srv.request(path, { token: read });
    expect(res.status).toBe(status);
    expect((await res.json()).error.code).toBe('bad_request');
  });

  it('needs the read scope', async () => {
    expect((await srv.request('/v1/stats/servers')).status).toBe(401);
    const ingest = await srv.token(['ingest']);
    expect((await srv.request('/v1/stats/servers', { token: ingest })).status).toBe(403);
  });
});

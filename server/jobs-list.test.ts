import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDto } from './repo/jobs';
import {
  DB_KINDS,
  openTestDatabase,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from './testing/databases';
import { makeRecord } from './testing/records';

describe.each(DB_KINDS)('GET /v1/jobs on %s', (kind) => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let read: string;
  let ingestKey: string;
  const base = 1_700_000_000_000;
  const records = Array.from({ length: 25 }, (_, i) =>
    makeRecord({
      server: i % 2 ? 'a' : 'b',
      status: i % 5 === 0 ? 'error' : 'success',
      queuedAt: base + i * 1000,
      startedAt: base + i * 1000 + 5,
      endedAt: base + i * 1000 + 505,
      updatedAt: base + i * 1000 + 505,
    }),
  );

  beforeAll(async () => {
    tdb = await openTestDatabase(kind);
    srv = await startTestServer(tdb.db, { ingestBurst: 1000 });
    read = await srv.token(['read']);
    ingestKey = await srv.token(['ingest']);
    const res = await srv.request('/v1/ingest', {
      method: 'POST',
      token: ingestKey,
      body: JSON.stringify({ records }),
    });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await srv?.close();
    await tdb?.dispose();
  });

  const list = async (qs: string) => {
    const res = await srv.request(`/v1/jobs${qs}`, { token: read });
    expect(res.status).toBe(200);
    return (await res.json()) as { jobs: JobDto[]; nextCursor: string | null };
  };

  it('lists newest first with duration and source', async () => {
    const { jobs } = await list('?limit=3');
    expect(jobs.map((j) => j.promptId)).toEqual(
      records
        .slice(-3)
        .reverse()
        .map((r) => r.promptId),
    );
    expect(jobs[0]).toMatchObject({ durationMs: 500, source: 'extension', status: 'success' });
  });

  it('pages with a stable cursor even while jobs change and new ones arrive', async () => {
    const seen: string[] = [];
    let page = await list('?limit=7');
    seen.push(...page.jobs.map((j) => j.promptId));
    // Updates to listed rows and a brand-new job must not shift the remaining pages.
    const updated = { ...records[10]!, updatedAt: records[10]!.updatedAt + 99, status: 'error' as const };
    const newer = makeRecord({ queuedAt: base + 999_000, updatedAt: base + 999_000 });
    await srv.request('/v1/ingest', {
      method: 'POST',
      token: ingestKey,
      body: JSON.stringify({ records: [updated, newer] }),
    });
    while (page.nextCursor) {
      page = await list(`?limit=7&cursor=${page.nextCursor}`);
      seen.push(...page.jobs.map((j) => j.promptId));
    }
    expect(seen).toEqual(records.map((r) => r.promptId).reverse());
  });

  it.each([
    ['status', '?status=error', (j: JobDto) => j.status === 'error', 5],
    ['server', '?server=a', (j: JobDto) => j.server === 'a', 12],
    ['two statuses', '?status=error,success&server=b', (j: JobDto) => j.server === 'b', 13],
    ['since/until', `?since=${base + 3000}&until=${new Date(base + 6000).toISOString()}`, () => true, 3],
    ['source', '?source=api', () => false, 0],
  ])('filters by %s', async (_n, qs, pred, count) => {
    const { jobs } = await list(`${qs}&limit=500`);
    const inRange = jobs.filter((j) => j.createdAt >= base && j.createdAt < base + 100_000);
    expect(inRange.every(pred)).toBe(true);
    expect(inRange).toHaveLength(count);
  });

  it.each([
    ['an unknown status', '?status=exploded'],
    ['a bad limit', '?limit=0'],
    ['an unknown parameter', '?colour=red'],
    ['a forged cursor', '?cursor=bm9wZQ'],
  ])('rejects %s with 400', async (_n, qs) => {
    const res = await srv.request(`/v1/jobs${qs}`, { token: read });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('bad_request');
  });

  it('returns one job with its node runs, 404 for an unknown id, 401 without a key', async () => {
    const r = records[3]!;
    const res = await srv.request(`/v1/jobs/${r.promptId}`, { token: read });
    expect(res.status).toBe(200);
    const job = await res.json();
    expect(job).toMatchObject({ promptId: r.promptId, server: r.server, outputs: r.outputs });
    expect(job.nodes.map((n: { classType: string }) => n.classType).sort()).toEqual([
      'CheckpointLoaderSimple',
      'KSampler',
    ]);
    expect((await srv.request('/v1/jobs/nope', { token: read })).status).toBe(404);
    expect((await srv.request(`/v1/jobs/${r.promptId}`)).status).toBe(401);
    expect((await srv.request(`/v1/jobs/${r.promptId}`, { token: ingestKey })).status).toBe(403);
  });

  it('aggregates node time per class type', async () => {
    const res = await srv.request(`/v1/stats/nodes?since=0`, { token: read });
    const { classes } = await res.json();
    const ks = classes.find((c: { classType: string }) => c.classType === 'KSampler');
    expect(ks).toMatchObject({ runs: 26, avgMs: 400, maxMs: 400 });
    expect(classes[0].classType).toBe('KSampler');
    expect(
      classes.find((c: { classType: string }) => c.classType === 'CheckpointLoaderSimple'),
    ).toMatchObject({
      runs: 0,
      cachedRuns: 26,
    });
  });
});

import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JobStatus } from '../../comfy/types';
import { freshDb, makeJob, makeServer } from '../testing/records';
import {
  activeJobs,
  classTimings,
  history,
  historyCount,
  listServers,
  nodeRuns,
  recentFinished,
  unnotifiedFinished,
} from './repo';

const db = freshDb('repo');
const STATUSES: JobStatus[] = ['success', 'error', 'interrupted', 'success', 'cancelled', 'lost'];

beforeAll(async () => {
  await db.servers.bulkPut([
    makeServer('a', 'http://127.0.0.1:8188', { token: 'secret', createdAt: 1 }),
    makeServer('b', 'http://10.0.0.2:8188', { createdAt: 2 }),
  ]);
  const jobs = [];
  for (let i = 0; i < 100; i++) {
    jobs.push(makeJob(i % 2 ? 'b' : 'a', `p${i}`, STATUSES[i % STATUSES.length]!, 1000 * i));
  }
  jobs.push(makeJob('a', 'run', 'running', 200_000, { number: 5 }));
  jobs.push(makeJob('a', 'pend2', 'pending', 200_100, { number: 7 }));
  jobs.push(makeJob('b', 'pend1', 'pending', 200_200, { number: 6 }));
  await db.jobs.bulkPut(jobs);
  await db.nodeRuns.bulkPut([
    {
      key: 'a:p0:1',
      jobKey: 'a:p0',
      serverId: 'a',
      nodeId: '1',
      classType: 'KSampler',
      startedAt: 20,
      durationMs: 900,
      cached: false,
    },
    {
      key: 'a:p0:2',
      jobKey: 'a:p0',
      serverId: 'a',
      nodeId: '2',
      classType: 'VAEDecode',
      startedAt: 10,
      durationMs: 100,
      cached: false,
    },
    { key: 'a:p0:3', jobKey: 'a:p0', serverId: 'a', nodeId: '3', classType: 'KSampler', cached: true },
  ]);
});

describe('repo queries', () => {
  it('lists active jobs running first, then by queue number, per server or overall', async () => {
    expect((await activeJobs(db)).map((j) => j.promptId)).toEqual(['run', 'pend1', 'pend2']);
    expect((await activeJobs(db, 'b')).map((j) => j.promptId)).toEqual(['pend1']);
  });

  it.each([
    [{}, 103],
    [{ status: 'success' as const }, 34],
    [{ serverId: 'a' }, 52],
    [{ serverId: 'a', status: 'success' as const }, 17],
    [{ status: ['error', 'lost'] as JobStatus[] }, 33],
    [{ from: 10_000, to: 19_000 }, 10],
    [{ serverId: 'b', from: 10_000, to: 19_000 }, 5],
    [{ before: 10_000 }, 10],
  ])('counts history matching %o as %i', async (filter, expected) => {
    expect(await historyCount(db, filter)).toBe(expected);
    const rows = await history(db, { ...filter, limit: 1000 });
    expect(rows).toHaveLength(expected);
    for (let i = 1; i < rows.length; i++)
      expect(rows[i - 1]!.createdAt).toBeGreaterThanOrEqual(rows[i]!.createdAt);
  });

  it('pages newest first with offset, identically for one or several statuses', async () => {
    const page1 = await history(db, { status: ['success', 'error'], limit: 5 });
    const page2 = await history(db, { status: ['success', 'error'], limit: 5, offset: 5 });
    const all = await history(db, { status: ['success', 'error'], limit: 10 });
    expect([...page1, ...page2].map((j) => j.key)).toEqual(all.map((j) => j.key));
    expect(all.every((j) => j.status === 'success' || j.status === 'error')).toBe(true);
    const keyset = await history(db, { status: 'success', limit: 3, before: page1.at(-1)!.createdAt });
    expect(keyset[0]!.createdAt).toBeLessThan(page1.at(-1)!.createdAt);
  });

  it('lists recent finished jobs without active ones', async () => {
    const recent = await recentFinished(db, 3);
    expect(recent.map((j) => j.promptId)).toEqual(['p99', 'p98', 'p97']);
  });

  it('never hands a token to the UI', async () => {
    const servers = await listServers(db);
    expect(servers.map((s) => [s.id, s.hasToken])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(JSON.stringify(servers)).not.toContain('secret');
  });

  it('orders node runs by start and aggregates class timings, cached runs apart', async () => {
    expect((await nodeRuns(db, 'a:p0')).map((r) => r.nodeId)).toEqual(['3', '2', '1']);
    expect(await classTimings(db)).toEqual([
      { classType: 'KSampler', runs: 1, cached: 1, totalMs: 900, meanMs: 900 },
      { classType: 'VAEDecode', runs: 1, cached: 0, totalMs: 100, meanMs: 100 },
    ]);
  });

  it('finds terminal jobs that ended recently and were never announced', async () => {
    await db.jobs.update('a:p98', { notifiedAt: 1 });
    const found = await unnotifiedFinished(db, 97_000);
    expect(found.map((j) => j.promptId).sort()).toEqual(['p96', 'p97', 'p99']);
  });
});

import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { BlobKind, BlobRecord } from '../db';
import { DEFAULT_SETTINGS } from '../settings';
import { freshDb, makeJob } from '../testing/records';
import { applyRetention, enforceByteBudget } from './retention';

const DAY = 86_400_000;
const NOW = 100 * DAY;

function blob(jobKey: string, kind: BlobKind, size: number, createdAt: number): BlobRecord {
  return {
    key: `${jobKey}:${kind}`,
    jobKey,
    kind,
    mime: 'image/webp',
    data: new Blob([new Uint8Array(size)]),
    size,
    createdAt,
  };
}

describe('retention', () => {
  it('keeps the newest maxJobs finished jobs, never an active one, and removes node runs and blobs with a job', async () => {
    const db = freshDb('ret');
    const jobs = Array.from({ length: 30 }, (_, i) => makeJob('s', `p${i}`, 'success', NOW - i * 1000));
    jobs.push(makeJob('s', 'ancient-running', 'running', 0));
    await db.jobs.bulkPut(jobs);
    await db.nodeRuns.bulkPut([
      { key: 's:p29:1', jobKey: 's:p29', serverId: 's', nodeId: '1', cached: false },
      { key: 's:p0:1', jobKey: 's:p0', serverId: 's', nodeId: '1', cached: false },
    ]);
    await db.blobs.bulkPut([blob('s:p29', 'thumb', 10, 1), blob('s:p0', 'thumb', 10, 2)]);

    const r = await applyRetention(db, { ...DEFAULT_SETTINGS, retention: { maxJobs: 10, maxDays: 30 } }, NOW);
    expect(r).toEqual({ jobsRemoved: 20, blobsRemoved: 1, bytesRemoved: 10 });
    const left = (await db.jobs.toArray()).map((j) => j.promptId).sort();
    expect(left).toContain('ancient-running');
    expect(left).toContain('p9');
    expect(left).not.toContain('p10');
    expect((await db.nodeRuns.toArray()).map((r) => r.key)).toEqual(['s:p0:1']);
    expect((await db.blobs.toArray()).map((b) => b.key)).toEqual(['s:p0:thumb']);
  });

  it('drops finished jobs older than maxDays even under the count limit', async () => {
    const db = freshDb('ret');
    await db.jobs.bulkPut([
      makeJob('s', 'new', 'error', NOW - 2 * DAY),
      makeJob('s', 'old', 'success', NOW - 8 * DAY),
      makeJob('s', 'old-pending', 'pending', NOW - 80 * DAY),
    ]);
    const r = await applyRetention(
      db,
      { ...DEFAULT_SETTINGS, retention: { maxJobs: 1000, maxDays: 7 } },
      NOW,
    );
    expect(r.jobsRemoved).toBe(1);
    expect((await db.jobs.toArray()).map((j) => j.promptId).sort()).toEqual(['new', 'old-pending']);
  });

  it('bounds stored image bytes, oldest first, and forgets the thumbnail reference', async () => {
    const db = freshDb('ret');
    await db.jobs.bulkPut([
      makeJob('s', 'a', 'success', NOW, { thumbKey: 's:a:thumb' }),
      makeJob('s', 'b', 'success', NOW, { thumbKey: 's:b:thumb' }),
    ]);
    await db.blobs.bulkPut([
      blob('s:a', 'thumb', 600_000, 1),
      blob('s:a', 'preview', 600_000, 2),
      blob('s:b', 'thumb', 600_000, 3),
    ]);
    const r = await applyRetention(db, { ...DEFAULT_SETTINGS, previewBudgetBytes: 1_300_000 }, NOW);
    expect(r).toEqual({ jobsRemoved: 0, blobsRemoved: 1, bytesRemoved: 600_000 });
    expect((await db.blobs.toArray()).map((b) => b.key).sort()).toEqual(['s:a:preview', 's:b:thumb']);
    expect((await db.jobs.get('s:a'))?.thumbKey).toBeUndefined();
    expect((await db.jobs.get('s:b'))?.thumbKey).toBe('s:b:thumb');
  });

  it('evicts the oldest timelapses before any thumbnail or preview, however old those are', async () => {
    const db = freshDb('ret');
    await db.jobs.bulkPut(
      ['a', 'b', 'c'].map((p) => makeJob('s', p, 'success', NOW, { thumbKey: `s:${p}:thumb` })),
    );
    await db.blobs.bulkPut([
      blob('s:a', 'thumb', 100_000, 1),
      blob('s:a', 'timelapse', 500_000, 10),
      blob('s:b', 'timelapse', 500_000, 20),
      blob('s:c', 'timelapse', 500_000, 30),
      blob('s:c', 'thumb', 100_000, 2),
    ]);
    const r = await enforceByteBudget(db, 1_200_000);
    expect(r).toEqual({ blobsRemoved: 1, bytesRemoved: 500_000 });
    expect((await db.blobs.toArray()).map((b) => b.key).sort()).toEqual([
      's:a:thumb',
      's:b:timelapse',
      's:c:thumb',
      's:c:timelapse',
    ]);
  });

  it('removes every timelapse before the first thumbnail, and never a job record', async () => {
    const db = freshDb('ret');
    await db.jobs.bulkPut(
      ['a', 'b'].map((p) => makeJob('s', p, 'success', NOW, { thumbKey: `s:${p}:thumb` })),
    );
    await db.blobs.bulkPut([
      blob('s:a', 'thumb', 300_000, 1),
      blob('s:b', 'thumb', 300_000, 2),
      blob('s:a', 'timelapse', 400_000, 3),
      blob('s:b', 'timelapse', 400_000, 4),
    ]);
    const r = await applyRetention(db, { ...DEFAULT_SETTINGS, previewBudgetBytes: 400_000 }, NOW);
    expect(r).toEqual({ jobsRemoved: 0, blobsRemoved: 3, bytesRemoved: 1_100_000 });
    expect((await db.blobs.toArray()).map((b) => b.key)).toEqual(['s:b:thumb']);
    expect(await db.jobs.count()).toBe(2);
    expect((await db.jobs.get('s:a'))?.thumbKey).toBeUndefined();
  });

  it('changes nothing within the budget', async () => {
    const db = freshDb('ret');
    await db.blobs.bulkPut([blob('s:a', 'timelapse', 10, 1), blob('s:a', 'thumb', 10, 1)]);
    expect(await enforceByteBudget(db, 20)).toEqual({ blobsRemoved: 0, bytesRemoved: 0 });
    expect(await db.blobs.count()).toBe(2);
  });
});

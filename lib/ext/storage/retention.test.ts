import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { BlobRecord } from '../db';
import { DEFAULT_SETTINGS } from '../settings';
import { freshDb, makeJob } from '../testing/records';
import { applyRetention } from './retention';

const DAY = 86_400_000;
const NOW = 100 * DAY;

function blob(jobKey: string, kind: 'preview' | 'thumb', size: number, createdAt: number): BlobRecord {
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
});

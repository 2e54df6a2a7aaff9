/**
 * Retention: history is bounded by count and age, stored images and timelapses by bytes. Active jobs are
 * never removed, whatever their age. A removed job takes its node runs and blobs with it.
 */
import Dexie from 'dexie';
import type { BlobRecord, ComfyPulseDB } from '../db';
import type { Settings } from '../settings';

export interface RetentionResult {
  jobsRemoved: number;
  blobsRemoved: number;
  bytesRemoved: number;
}

const DAY_MS = 86_400_000;

/** Deletes jobs (with their node runs and blobs) in batches so no transaction grows unbounded. */
async function removeJobs(db: ComfyPulseDB, keys: string[]): Promise<{ blobs: number; bytes: number }> {
  let blobs = 0;
  let bytes = 0;
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    await db.transaction('rw', db.jobs, db.nodeRuns, db.blobs, async () => {
      const doomed = await db.blobs.where('jobKey').anyOf(batch).toArray();
      blobs += doomed.length;
      bytes += doomed.reduce((a, b) => a + b.size, 0);
      await db.blobs.bulkDelete(doomed.map((b) => b.key));
      await db.nodeRuns.where('jobKey').anyOf(batch).delete();
      await db.jobs.bulkDelete(batch);
    });
  }
  return { blobs, bytes };
}

export async function applyRetention(
  db: ComfyPulseDB,
  settings: Pick<Settings, 'retention' | 'previewBudgetBytes'>,
  now: number,
): Promise<RetentionResult> {
  const { maxJobs, maxDays } = settings.retention;
  const cutoff = now - maxDays * DAY_MS;
  // Newest first, finished only: keep the first maxJobs younger than the cutoff.
  const doomed: string[] = [];
  let kept = 0;
  await db.jobs
    .orderBy('createdAt')
    .reverse()
    .each((j) => {
      if (j.active === 1) return;
      if (kept < maxJobs && j.createdAt >= cutoff) kept++;
      else doomed.push(j.key);
    });
  const removed = await removeJobs(db, doomed);

  const trimmed = await enforceByteBudget(db, settings.previewBudgetBytes);
  return {
    jobsRemoved: doomed.length,
    blobsRemoved: removed.blobs + trimmed.blobsRemoved,
    bytesRemoved: removed.bytes + trimmed.bytesRemoved,
  };
}

/**
 * Brings the stored blobs within `budget` bytes. Timelapses go first, oldest first: they are the largest
 * and the least needed (a job is still recognised by its thumbnail). Only then thumbnails and previews go,
 * oldest first. Job records are never removed for bytes; a job whose thumbnail went forgets its key.
 */
export async function enforceByteBudget(
  db: ComfyPulseDB,
  budget: number,
): Promise<Pick<RetentionResult, 'blobsRemoved' | 'bytesRemoved'>> {
  let total = 0;
  await db.blobs.each((b) => {
    total += b.size;
  });
  if (total <= budget) return { blobsRemoved: 0, bytesRemoved: 0 };
  const over: string[] = [];
  let bytesRemoved = 0;
  const take = (b: BlobRecord) => {
    over.push(b.key);
    total -= b.size;
    bytesRemoved += b.size;
  };
  await db.blobs
    .where('[kind+createdAt]')
    .between(['timelapse', Dexie.minKey], ['timelapse', Dexie.maxKey])
    .until(() => total <= budget)
    .each(take);
  if (total > budget) {
    const gone = new Set(over);
    await db.blobs
      .orderBy('createdAt')
      .filter((b) => !gone.has(b.key))
      .until(() => total <= budget)
      .each(take);
  }
  await db.blobs.bulkDelete(over);
  const lostThumbs = [
    ...new Set(over.filter((k) => k.endsWith(':thumb')).map((k) => k.slice(0, -':thumb'.length))),
  ];
  if (lostThumbs.length) {
    await db.jobs
      .where('key')
      .anyOf(lostThumbs)
      .modify((j) => {
        delete j.thumbKey;
      });
  }
  return { blobsRemoved: over.length, bytesRemoved };
}

/**
 * Retention: history is bounded by count and age, stored images by bytes. Active jobs are never removed,
 * whatever their age. A removed job takes its node runs and blobs with it.
 */
import type { ComfyPulseDB } from '../db';
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

  // Byte budget over the remaining blobs, oldest first.
  let total = 0;
  await db.blobs.each((b) => {
    total += b.size;
  });
  let blobsRemoved = removed.blobs;
  let bytesRemoved = removed.bytes;
  if (total > settings.previewBudgetBytes) {
    const over: string[] = [];
    await db.blobs
      .orderBy('createdAt')
      .until(() => total <= settings.previewBudgetBytes)
      .each((b) => {
        over.push(b.key);
        total -= b.size;
        bytesRemoved += b.size;
      });
    await db.blobs.bulkDelete(over);
    blobsRemoved += over.length;
    if (over.length) {
      // jobs whose thumbnail went keep their record; forget the dangling reference
      await db.jobs
        .where('key')
        .anyOf([
          ...new Set(over.filter((k) => k.endsWith(':thumb')).map((k) => k.slice(0, -':thumb'.length))),
        ])
        .modify((j) => {
          delete j.thumbKey;
        });
    }
  }
  return { jobsRemoved: doomed.length, blobsRemoved, bytesRemoved };
}

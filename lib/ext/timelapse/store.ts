/** Storing a finished timelapse as the job's `timelapse` blob. */
import type { BlobRecord, ComfyPulseDB } from '../db';
import { timelapseBlobKey } from '../storage/repo';
import type { EncodedTimelapse } from './encode';

/**
 * Puts the animation beside its job, in one transaction with the check that the job still exists (a job
 * that retention removed while its timelapse encoded must not leave an orphan blob). Returns whether it
 * was stored.
 */
export async function storeTimelapse(
  db: ComfyPulseDB,
  jobKey: string,
  enc: EncodedTimelapse,
  now: number,
): Promise<boolean> {
  const data = new Blob([enc.bytes as BlobPart], { type: enc.mime });
  const rec: BlobRecord = {
    key: timelapseBlobKey(jobKey),
    jobKey,
    kind: 'timelapse',
    mime: enc.mime,
    data,
    size: data.size,
    createdAt: now,
    frames: enc.frames,
    width: enc.width,
    height: enc.height,
    encodeMs: Math.round(enc.encodeMs),
    encodeElapsedMs: Math.round(enc.elapsedMs),
    ...(enc.codec ? { codec: enc.codec } : {}),
    ...(enc.fallback ? { fallback: enc.fallback } : {}),
  };
  return db.transaction('rw', db.jobs, db.blobs, async () => {
    if ((await db.jobs.where('key').equals(jobKey).count()) === 0) return false;
    await db.blobs.put(rec);
    return true;
  });
}

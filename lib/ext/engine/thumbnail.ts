/**
 * A finished job's output thumbnail: the first image output, re-encoded small by the server
 * (`/view?preview=webp;90`), stored as a Blob next to the job so notifications and lists can show it.
 */
import type { ComfyHttp } from '../../comfy/http';
import { outputFiles } from '../../comfy/outputs';
import type { Clock, FetchLike, JobState, OutputFile } from '../../comfy/types';
import type { BlobRecord, ComfyPulseDB, JobRecord, ServerRecord } from '../db';
import { thumbBlobKey } from '../storage/repo';

export interface ThumbnailDeps {
  db: ComfyPulseDB;
  http: ComfyHttp;
  fetch: FetchLike;
  clock: Clock;
  server: Pick<ServerRecord, 'token' | 'tokenMode'>;
  maxBytes: number;
  /** Scales the output down to a real thumbnail (`lib/ext/media/thumbnail.ts`); stored as fetched without. */
  thumbnail?(data: Blob): Promise<Blob>;
}

/** Stores the thumbnail and points the job at it; resolves the updated record, or undefined when there is none. */
export async function storeThumbnail(
  deps: ThumbnailDeps,
  jobKey: string,
  job: JobState,
): Promise<JobRecord | undefined> {
  const files: OutputFile[] = Object.values(job.outputs).flatMap((o) => outputFiles(o));
  const file = files.find((f) => f.type === 'output') ?? files[0];
  if (!file) return undefined;
  const { token, tokenMode } = deps.server;
  const headers: Record<string, string> =
    token && tokenMode !== 'query' ? { Authorization: `Bearer ${token}` } : {};
  // header mode: the token rides in the header only, never in a URL a proxy would log
  const url = deps.http.viewUrl(file, { preview: 'webp;90', tokenInQuery: tokenMode !== 'header' });
  const res = await deps.fetch(url, { headers });
  if (!res.ok) return undefined;
  const type = res.headers.get('content-type') ?? 'image/webp';
  if (!type.startsWith('image/')) return undefined;
  const full = await res.blob();
  if (full.size === 0 || full.size > deps.maxBytes) return undefined;
  // ComfyUI re-encodes but never resizes: what /view sent is the full image
  const data = deps.thumbnail ? await deps.thumbnail(full) : full;
  const key = thumbBlobKey(jobKey);
  const rec: BlobRecord = {
    key,
    jobKey,
    kind: 'thumb',
    mime: data.type || type,
    data,
    size: data.size,
    createdAt: deps.clock.now(),
  };
  const { db } = deps;
  await db.transaction('rw', db.blobs, db.jobs, async () => {
    await db.blobs.put(rec);
    await db.jobs.update(jobKey, { thumbKey: key });
  });
  return db.jobs.get(jobKey);
}

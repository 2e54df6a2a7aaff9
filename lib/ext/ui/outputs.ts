/**
 * Which of a finished job's output files (`jobOutputFiles`, which validates them: they are remote data
 * stored as-is) are images, and the `/view` URLs to show them. The UI never holds a server token (repo
 * hands it `PublicServer`), so token-protected servers show thumbnails only from the blobs the engine stored.
 *
 * Deliberately free of zod and of lib/comfy's HTTP client: this module is in the popup's and the side
 * panel's startup bundle, whose parse time is on the 200 ms "usable list" budget. The URL shape is the one
 * `ComfyHttp.viewUrl` builds, and a test pins the two together.
 */
import { type JobOutputFile, jobOutputFiles } from '../../comfy/outputs';
import type { NodeId, NodeOutput, OutputFile } from '../../comfy/types';

const IMAGE_KINDS = new Set(['images', 'gifs']);

export function isImageOutput(item: JobOutputFile): boolean {
  return IMAGE_KINDS.has(item.kind) || /\.(png|jpe?g|webp|gif|avif)$/i.test(item.file.filename);
}

/** The first image output, the one a card shows as its thumbnail. */
export function firstImage(outputs: Record<NodeId, NodeOutput>): JobOutputFile | undefined {
  return jobOutputFiles(outputs).find(isImageOutput);
}

export function viewUrl(serverUrl: string, file: OutputFile): string {
  const u = new URL(`${serverUrl.replace(/\/+$/, '')}/api/view`);
  u.searchParams.set('filename', file.filename);
  u.searchParams.set('type', file.type || 'output');
  u.searchParams.set('subfolder', file.subfolder ?? '');
  return u.toString();
}

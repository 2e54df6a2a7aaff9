/**
 * Output files of a finished job, from its `outputs` (validated here: they are remote data stored as-is),
 * and the `/view` URLs to show them. The UI never holds a server token (repo hands it `PublicServer`), so
 * token-protected servers show thumbnails only from the blobs the engine stored.
 *
 * Deliberately free of zod and of lib/comfy's HTTP client: this module is in the popup's and the side
 * panel's startup bundle, whose parse time is on the 200 ms "usable list" budget. The URL shape is the one
 * `ComfyHttp.viewUrl` builds, and a test pins the two together.
 */
import type { NodeId, NodeOutput, OutputFile } from '../../comfy/types';

/** An output file entry: a non-empty filename; subfolder and type default like ComfyUI's `/view`. */
function asOutputFile(entry: unknown): OutputFile | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  if (typeof e.filename !== 'string' || e.filename === '') return undefined;
  return {
    ...e,
    filename: e.filename,
    subfolder: typeof e.subfolder === 'string' ? e.subfolder : '',
    type: typeof e.type === 'string' && e.type !== '' ? e.type : 'output',
  };
}

export interface OutputItem {
  nodeId: NodeId;
  /** The output list it came from: `images`, `gifs`, `video`, `audio`, ... */
  kind: string;
  file: OutputFile;
}

const IMAGE_KINDS = new Set(['images', 'gifs']);

export function outputFiles(outputs: Record<NodeId, NodeOutput>): OutputItem[] {
  const items: OutputItem[] = [];
  for (const [nodeId, out] of Object.entries(outputs)) {
    if (!out || typeof out !== 'object') continue;
    for (const [kind, list] of Object.entries(out)) {
      if (!Array.isArray(list)) continue;
      for (const entry of list) {
        const file = asOutputFile(entry);
        if (file) items.push({ nodeId, kind, file });
      }
    }
  }
  return items;
}

export function isImageOutput(item: OutputItem): boolean {
  return IMAGE_KINDS.has(item.kind) || /\.(png|jpe?g|webp|gif|avif)$/i.test(item.file.filename);
}

/** The first image output, the one a card shows as its thumbnail. */
export function firstImage(outputs: Record<NodeId, NodeOutput>): OutputItem | undefined {
  return outputFiles(outputs).find(isImageOutput);
}

export function viewUrl(serverUrl: string, file: OutputFile): string {
  const u = new URL(`${serverUrl.replace(/\/+$/, '')}/api/view`);
  u.searchParams.set('filename', file.filename);
  u.searchParams.set('type', file.type || 'output');
  u.searchParams.set('subfolder', file.subfolder ?? '');
  return u.toString();
}

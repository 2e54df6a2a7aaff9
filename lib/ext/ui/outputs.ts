/**
 * Output files of a finished job, from its `outputs` (validated here: they are remote data stored as-is),
 * and the `/view` URLs to show them. URLs come from lib/comfy's `viewUrl` so they match the server's
 * routing; the UI never holds a server token (repo hands it `PublicServer`), so token-protected servers
 * show thumbnails only from the blobs the engine stored.
 */
import { z } from 'zod';
import { ComfyHttp } from '../../comfy/http';
import type { NodeId, NodeOutput, OutputFile } from '../../comfy/types';

const outputFileSchema = z.looseObject({
  filename: z.string().min(1),
  subfolder: z.string().catch(''),
  type: z.string().catch('output'),
});

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
        const parsed = outputFileSchema.safeParse(entry);
        if (parsed.success) items.push({ nodeId, kind, file: parsed.data as OutputFile });
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
  return new ComfyHttp({ baseUrl: serverUrl }).viewUrl(file);
}

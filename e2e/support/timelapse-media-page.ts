/**
 * Runs in a plain browser page (Chromium or Firefox ESR; bundled by `timelapse-media.ts`): real preview frames
 * (JPEG, made on a canvas) through the extension's real timelapse Worker (`encode.worker.ts`) and its real
 * on-demand GIF Worker (`gif.worker.ts`), over `WorkerClient`, exactly as the extension runs them. Results go
 * back to Node as base64 for independent decoders (mediabunny's demuxer, omggif).
 */
import { systemClock } from '../../lib/comfy/types';
import { toBase64 } from '../../lib/ext/bridge/tap';
import type { EncodedTimelapse, EncodeRequest } from '../../lib/ext/timelapse/encode';
import type { FrameBytes } from '../../lib/ext/timelapse/rasterize';
import type { GifFromVideo } from '../../lib/ext/timelapse/to-gif';
import { WorkerClient, type WorkerLike } from '../../lib/ext/timelapse/worker-client';
import { blockColour } from './timelapse-media-frames';

async function previews(
  n: number,
  width: number,
  height: number,
  corruptAt: number[],
): Promise<FrameBytes[]> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  const out: FrameBytes[] = [];
  for (let i = 0; i < n; i++) {
    for (let b = 0; b < 12; b++) {
      const [r, g, bl] = blockColour(i, n, b);
      ctx.fillStyle = `rgb(${r},${g},${bl})`;
      ctx.fillRect((b % 4) * (width / 4), Math.floor(b / 4) * (height / 3), width / 4, height / 3);
    }
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    out.push({ mime: 'image/jpeg', bytes: new Uint8Array(await blob.arrayBuffer()) });
    if (corruptAt.includes(i)) out.push({ mime: 'image/jpeg', bytes: new Uint8Array([0xff, 0xd8, 1, 2, 3]) });
  }
  return out;
}

const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

const encoder = new WorkerClient<EncodeRequest, EncodedTimelapse | null>(
  () =>
    new Worker('/encode.worker.js', { type: 'module' }) as unknown as WorkerLike<
      EncodeRequest,
      EncodedTimelapse | null
    >,
  systemClock,
  'timelapse encode',
);
const gifs = new WorkerClient<{ video: Uint8Array }, GifFromVideo>(
  () =>
    new Worker('/gif.worker.js', { type: 'module' }) as unknown as WorkerLike<
      { video: Uint8Array },
      GifFromVideo
    >,
  systemClock,
  'GIF',
);

export interface EncodeOptions {
  frames: number;
  width: number;
  height: number;
  maxSide: number;
  format?: 'webm' | 'gif';
  corruptAt?: number[];
}

export type EncodedInPage = Omit<EncodedTimelapse, 'bytes'> & { b64: string };

const api = {
  async encode(o: EncodeOptions): Promise<EncodedInPage | null> {
    const frames = await previews(o.frames, o.width, o.height, o.corruptAt ?? []);
    const out = await encoder.call({ frames, maxSide: o.maxSide, format: o.format, restRatio: 0 });
    if (!out) return null;
    const { bytes, ...rest } = out;
    return { ...rest, b64: toBase64(bytes) };
  },
  async gif(videoB64: string): Promise<Omit<GifFromVideo, 'bytes'> & { b64: string }> {
    const { bytes, ...rest } = await gifs.call({ video: fromBase64(videoB64) });
    return { ...rest, b64: toBase64(bytes) };
  },
};

Object.assign(window, { timelapseMedia: api });
export type TimelapseMediaApi = typeof api;

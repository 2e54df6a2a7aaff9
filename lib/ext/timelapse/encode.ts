/**
 * One timelapse encode, as the Worker runs it: decode and scale the sampled frames, then write the GIF.
 * The request and the answer are plain structured-cloneable data, so they cross `postMessage` unchanged.
 */
import { DEFAULT_GIF_OPTIONS, encodeGif, type GifOptions } from './gif';
import { type FrameBytes, type RasterEnv, rasterize } from './rasterize';

export interface EncodeRequest {
  frames: FrameBytes[];
  /** Longest side of the animation in px (frames are scaled down to it, never up). */
  maxSide: number;
  gif?: GifOptions;
}

export interface EncodedTimelapse {
  mime: 'image/gif';
  bytes: Uint8Array;
  frames: number;
  width: number;
  height: number;
  /** Decode, scale and encode time, ms (what the user's machine paid for this animation). */
  encodeMs: number;
}

/** Resolves to null when no frame could be decoded. */
export async function encodeTimelapse(
  req: EncodeRequest,
  env?: RasterEnv,
  now: () => number = () => performance.now(),
): Promise<EncodedTimelapse | null> {
  const t0 = now();
  const rgba = await rasterize(req.frames, req.maxSide, env);
  const first = rgba[0];
  if (!first) return null;
  const bytes = encodeGif(rgba, req.gif ?? DEFAULT_GIF_OPTIONS);
  return {
    mime: 'image/gif',
    bytes,
    frames: rgba.length,
    width: first.width,
    height: first.height,
    encodeMs: now() - t0,
  };
}

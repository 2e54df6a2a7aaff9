/**
 * One timelapse encode, as the Worker runs it: decode and scale the sampled frames, then write the GIF.
 * The request and the answer are plain structured-cloneable data, so they cross `postMessage` unchanged.
 */
import { DEFAULT_GIF_OPTIONS, type GifOptions, gifSteps } from './gif';
import { type FrameBytes, type RasterEnv, rasterize } from './rasterize';

export interface EncodeRequest {
  frames: FrameBytes[];
  /** Longest side of the animation in px (frames are scaled down to it, never up). */
  maxSide: number;
  gif?: GifOptions;
  /**
   * After each frame's work, rest this many times as long as the work took (0: never rest). 1 keeps the
   * encoder to about half of one core, so on a 2-core machine the pages and the sockets keep most of it.
   */
  restRatio?: number;
}

/** The Worker's default: a timelapse is not urgent, the pages and the sockets are. */
export const DEFAULT_REST_RATIO = 1;

export interface EncodedTimelapse {
  mime: 'image/gif';
  bytes: Uint8Array;
  frames: number;
  width: number;
  height: number;
  /** Decode, scale and encode time, ms, rests excluded (what the user's machine paid for this animation). */
  encodeMs: number;
  /** From start to finish, rests included, ms. */
  elapsedMs: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves to null when no frame could be decoded. */
export async function encodeTimelapse(
  req: EncodeRequest,
  env?: RasterEnv,
  now: () => number = () => performance.now(),
  rest: (ms: number) => Promise<void> = sleep,
): Promise<EncodedTimelapse | null> {
  const ratio = req.restRatio ?? 0;
  const start = now();
  let worked = 0;
  let mark = start;
  const pace = async () => {
    const spent = now() - mark;
    worked += spent;
    if (ratio > 0) await rest(spent * ratio);
    mark = now();
  };
  const rgba = await rasterize(req.frames, req.maxSide, env, pace);
  const first = rgba[0];
  if (!first) return null;
  const writer = gifSteps(rgba, req.gif ?? DEFAULT_GIF_OPTIONS);
  while (writer.step()) await pace();
  const bytes = writer.bytes();
  worked += now() - mark;
  return {
    mime: 'image/gif',
    bytes,
    frames: rgba.length,
    width: first.width,
    height: first.height,
    encodeMs: worked,
    elapsedMs: now() - start,
  };
}

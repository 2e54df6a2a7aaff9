/**
 * One timelapse encode, as the offscreen document's Worker runs it (`encode.worker.ts`): WebM video through
 * WebCodecs where the browser can encode it (`webm.ts`), else a GIF (`gif.ts`), which every browser can
 * make. The request and the answer are plain structured-cloneable data, so they cross `postMessage`
 * unchanged.
 */
import { DEFAULT_GIF_OPTIONS, type GifOptions, gifSteps } from './gif';
import { type FrameBytes, type RasterEnv, rasterize } from './rasterize';
import { encodeWebm, type VideoEnv } from './webm';

export interface EncodeRequest {
  frames: FrameBytes[];
  /** Longest side of the animation in px (frames are scaled down to it, never up). */
  maxSide: number;
  /** `webm` (the default): video where WebCodecs can encode it, GIF otherwise; `gif`: GIF only. */
  format?: 'webm' | 'gif';
  gif?: GifOptions;
  /**
   * After each frame's work, rest this many times as long as the work took (0: never rest). 3 keeps the
   * encoder to about a quarter of one core, so on a 2-core machine the pages and the sockets keep most of it.
   */
  restRatio?: number;
}

/**
 * The Worker's default: a timelapse is not urgent, the pages and the sockets are. A page opening (a renderer
 * starting, 10,000 jobs to query) needs the CPU most: at 1 (half a core) the side panel's first entry took
 * 243 ms median while an encode ran against 186 ms between encodes in the same minutes (`ext-open`); the
 * encode's wall time grows to about 4x its work (2-3 s for 64 frames), which nobody waits on.
 */
export const DEFAULT_REST_RATIO = 3;

export type TimelapseMime = 'video/webm' | 'image/gif';

export interface EncodedTimelapse {
  mime: TimelapseMime;
  bytes: Uint8Array;
  frames: number;
  width: number;
  height: number;
  /** The video codec (`av1`), for video. */
  codec?: string;
  /** Why a GIF was made instead of video (no WebCodecs encoder, or none for the codec). */
  fallback?: string;
  /** Decode, scale and encode time, ms, rests excluded (what the user's machine paid for this animation). */
  encodeMs: number;
  /** From start to finish, rests included, ms. */
  elapsedMs: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Accounts the work between rests, and rests `ratio` times as long after each piece of it. */
export interface Pacer {
  /** Ends a piece of work: counts it, then rests. */
  step(): Promise<void>;
  /** Work so far (ms), the piece in progress included. */
  worked(): number;
  /** Since the pacer started (ms). */
  elapsed(): number;
}

export function pacer(
  ratio: number,
  now: () => number = () => performance.now(),
  rest: (ms: number) => Promise<void> = sleep,
  /** How much longer to hold off (ms; 0: not held): rests continue while it is positive. */
  held: () => number = () => 0,
): Pacer {
  const start = now();
  let mark = start;
  let done = 0;
  return {
    async step() {
      const spent = now() - mark;
      done += spent;
      if (ratio > 0) await rest(spent * ratio);
      for (let left = held(); left > 0; left = held()) await rest(left);
      mark = now();
    },
    worked: () => done + (now() - mark),
    elapsed: () => now() - start,
  };
}

export interface EncodeDeps {
  raster?: RasterEnv;
  video?: VideoEnv;
  now?: () => number;
  rest?: (ms: number) => Promise<void>;
  /** How much longer the encoder is asked to hold off (ms), checked after each frame (`holdGate`). */
  held?: () => number;
}

/**
 * Holds set from outside the encode (a page opening: its renderer and first query need the CPU most) and
 * read by the pacer between frames; a later hold extends an earlier one, never shortens it.
 */
export function holdGate(now: () => number = () => performance.now()) {
  let until = 0;
  return {
    hold(ms: number): void {
      if (Number.isFinite(ms) && ms > 0) until = Math.max(until, now() + Math.min(ms, MAX_HOLD_MS));
    },
    left: (): number => Math.max(0, until - now()),
  };
}

/** A hold never lasts longer than this, whatever was asked (a stuck or hostile caller cannot stop encodes). */
export const MAX_HOLD_MS = 2000;

/** Resolves to null when no frame could be decoded. */
export async function encodeTimelapse(
  req: EncodeRequest,
  deps: EncodeDeps = {},
): Promise<EncodedTimelapse | null> {
  const pace = pacer(req.restRatio ?? 0, deps.now, deps.rest, deps.held);
  let fallback: string | undefined;
  if ((req.format ?? 'webm') === 'webm') {
    const video = await encodeWebm(req.frames, req.maxSide, pace, deps.video);
    if (video.ok) return video.result;
    fallback = video.reason;
  }
  const gif = await encodeGifTimelapse(req, pace, deps.raster);
  return gif && fallback ? { ...gif, fallback } : gif;
}

/** The GIF: every frame decoded and scaled, one palette, written a frame per step. */
async function encodeGifTimelapse(
  req: EncodeRequest,
  pace: Pacer,
  env: RasterEnv | undefined,
): Promise<EncodedTimelapse | null> {
  const rgba = await rasterize(req.frames, req.maxSide, env, () => pace.step());
  const first = rgba[0];
  if (!first) return null;
  const writer = gifSteps(rgba, req.gif ?? DEFAULT_GIF_OPTIONS);
  while (writer.step()) await pace.step();
  const bytes = writer.bytes();
  return {
    mime: 'image/gif',
    bytes,
    frames: rgba.length,
    width: first.width,
    height: first.height,
    encodeMs: pace.worked(),
    elapsedMs: pace.elapsed(),
  };
}

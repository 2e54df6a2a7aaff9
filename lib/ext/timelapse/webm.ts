/**
 * A timelapse as WebM video: each preview frame decoded and scaled by the browser (`createImageBitmap`), encoded
 * with WebCodecs and muxed with mediabunny. A video is a fraction of the GIF's size and cost (see
 * `bench/ext-media.bench.ts`), so more timelapses fit the byte budget and an encode holds the CPU for less time.
 *
 * Invariants:
 * - Every decodable frame becomes exactly one video frame, 100 ms apart, the last one held `lastHoldMs` (the
 *   container's duration says so) so the loop rests on the result; an undecodable preview costs that frame only.
 * - The size is the first decodable frame's, fitted within `maxSide` and made even (4:2:0 video).
 * - The encoder is paced: after each frame is encoded, the `Pacer` rests in proportion to the work.
 */
import {
  BufferTarget,
  canEncodeVideo,
  Output,
  Quality,
  VideoSample,
  VideoSampleSource,
  WebMOutputFormat,
} from 'mediabunny';
import { fitWithin } from '../media/fit';
import type { EncodedTimelapse, Pacer } from './encode';
import type { FrameBytes } from './rasterize';

export type VideoCodecName = 'vp8' | 'vp9' | 'av1';

export interface VideoSettings {
  /** In order of preference: the first one this browser can encode is used. */
  codecs: VideoCodecName[];
  /** Bits per second (variable bitrate); at 10 frames/s a 64-frame timelapse lasts 7.8 s. */
  bitrate: number;
  fps: number;
  /** How long the last frame shows before the loop starts over. */
  lastHoldMs: number;
  latencyMode: 'quality' | 'realtime';
}

/**
 * AV1 first: in `bench/ext-media.bench.ts` it gave the best quality per byte in Chromium and Firefox ESR
 * alike (300 kbit/s: 32 dB PSNR at about a tenth of the GIF's size) at about VP8's encode time in Chromium; VP8
 * where a browser has no AV1 encoder (it encodes fastest everywhere, at a lower quality per byte). VP9 encoded
 * slowest in both browsers. Chrome and Firefox decode all three.
 */
export const DEFAULT_VIDEO: VideoSettings = {
  codecs: ['av1', 'vp8'],
  bitrate: 300_000,
  fps: 10,
  lastHoldMs: 1500,
  latencyMode: 'realtime',
};

export interface VideoEnv {
  settings?: VideoSettings;
  /** The first of the settings' codecs this context can encode at this size, else why none. */
  pickCodec?(settings: VideoSettings, width: number, height: number): Promise<CodecPick>;
  /** Decodes a preview, scaled to `size` when given. */
  decode?(frame: FrameBytes, size?: { width: number; height: number }): Promise<ImageBitmap>;
}

export type CodecPick = { codec: VideoCodecName } | { reason: string };

export type VideoOutcome = { ok: true; result: EncodedTimelapse | null } | { ok: false; reason: string };

/** The first codec WebCodecs can encode here, or why none. */
export async function webCodecsPick(
  settings: VideoSettings,
  width: number,
  height: number,
): Promise<CodecPick> {
  if (typeof VideoEncoder === 'undefined') return { reason: 'WebCodecs VideoEncoder is not available here' };
  for (const codec of settings.codecs) {
    const quality = new Quality({ bitrate: settings.bitrate });
    if (await canEncodeVideo(codec, { width, height, quality }).catch(() => false)) return { codec };
  }
  return {
    reason: `this browser cannot encode ${settings.codecs.map((c) => c.toUpperCase()).join(' or ')} video`,
  };
}

function decodeWithBrowser(
  frame: FrameBytes,
  size?: { width: number; height: number },
): Promise<ImageBitmap> {
  const blob = new Blob([frame.bytes as BlobPart], { type: frame.mime });
  return size
    ? createImageBitmap(blob, { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'high' })
    : createImageBitmap(blob);
}

/** `fitWithin`, then each side rounded down to even (never below 2): 4:2:0 video halves both. */
export function videoSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const fit = fitWithin(width, height, maxSide);
  const even = (n: number) => Math.max(2, n - (n % 2));
  return { width: even(fit.width), height: even(fit.height) };
}

export async function encodeWebm(
  frames: readonly FrameBytes[],
  maxSide: number,
  pace: Pacer,
  env: VideoEnv = {},
): Promise<VideoOutcome> {
  const settings = env.settings ?? DEFAULT_VIDEO;
  const decode = env.decode ?? decodeWithBrowser;
  // Probe at the largest size the request allows, before any decoding work is spent.
  const picked = await (env.pickCodec ?? webCodecsPick)(
    settings,
    maxSide - (maxSide % 2),
    maxSide - (maxSide % 2),
  );
  if ('reason' in picked) return { ok: false, reason: picked.reason };
  const { codec } = picked;

  let size: { width: number; height: number } | undefined;
  let output: Output<WebMOutputFormat, BufferTarget> | undefined;
  let source: VideoSampleSource | undefined;
  let packets = 0;
  let wake: (() => void) | undefined;
  let added = 0;
  let buffering = false;
  /** The frame decoded last, added once the next one decodes (only then is it known not to be the last). */
  let held: ImageBitmap | undefined;

  const start = async (width: number, height: number) => {
    size = videoSize(width, height, maxSide);
    output = new Output({ format: new WebMOutputFormat(), target: new BufferTarget() });
    source = new VideoSampleSource({
      codec,
      quality: new Quality({ bitrate: settings.bitrate, bitrateMode: 'variable' }),
      // one key frame per timelapse is enough: it loops from the start and is never seeked
      keyFrameInterval: 60,
      // realtime: the encoder emits each frame as it comes (Firefox's holds them back in quality mode,
      // which would leave the pacing blind); every frame still arrives, which the decoder tests check
      latencyMode: settings.latencyMode,
      onEncodedPacket: () => {
        packets++;
        wake?.();
      },
    });
    output.addVideoTrack(source, { frameRate: settings.fps });
    await output.start();
  };

  /** Adds `bitmap` as frame `added`, waits for the encoder to emit it, then rests. */
  const add = async (bitmap: ImageBitmap, durationS: number) => {
    const sample = new VideoSample(bitmap, { timestamp: added / settings.fps, duration: durationS });
    try {
      await source!.add(sample);
    } finally {
      sample.close();
      bitmap.close();
    }
    added++;
    // The frame's encode is part of its work, so the rest that follows is in proportion to it. An encoder
    // that holds frames back (lookahead) would keep this waiting: after one wait of MAX_WAIT_MS, the rest of
    // this timelapse is paced on the decoding alone.
    const deadline = performance.now() + MAX_WAIT_MS;
    while (!buffering && packets < added) {
      if (performance.now() >= deadline) buffering = true;
      else
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 20);
        });
    }
    wake = undefined;
    await pace.step();
  };

  try {
    for (const f of frames) {
      let bitmap: ImageBitmap;
      try {
        bitmap = await decode(f, size);
      } catch {
        continue;
      }
      if (!size) {
        await start(bitmap.width, bitmap.height);
        const native = bitmap;
        if (native.width !== size!.width || native.height !== size!.height) {
          bitmap = await createImageBitmap(native, {
            resizeWidth: size!.width,
            resizeHeight: size!.height,
            resizeQuality: 'high',
          }).finally(() => native.close());
        }
      }
      if (held) await add(held, 1 / settings.fps);
      held = bitmap;
    }
    if (!held || !output) return { ok: true, result: null };
    await add(held, settings.lastHoldMs / 1000);
    held = undefined;
    await output.finalize();
    const buffer = output.target.buffer;
    if (!buffer) throw new Error('the WebM muxer produced no data');
    return {
      ok: true,
      result: {
        mime: 'video/webm',
        bytes: new Uint8Array(buffer),
        frames: added,
        width: size!.width,
        height: size!.height,
        codec,
        encodeMs: pace.worked(),
        elapsedMs: pace.elapsed(),
      },
    };
  } catch (e) {
    held?.close();
    await output?.cancel().catch(() => undefined);
    throw e;
  }
}

/** Longest wait for the encoder to emit the frame just added, before moving on without it. */
const MAX_WAIT_MS = 250;

/**
 * Animated GIF from RGBA frames, with gifenc. Pure computation (no DOM), so it runs in a Worker and in
 * Node's tests alike.
 *
 * One palette for the whole animation, quantised from pixels sampled across it (the last frame, the
 * result, weighted twice): measured on this 2-core machine, quantising every frame on its own took 3 s to
 * over 20 s per 64-frame job (gifenc's quantiser slows down with the number of distinct colours, and early
 * diffusion previews are noise), against under 1 s with one palette (`bench/ext-timelapse-format.bench.ts`).
 * The last frame is held longer so the animation rests on the result before it loops.
 */
import { applyPalette, GIFEncoder, type Palette, quantize } from 'gifenc';

export interface RgbaFrame {
  width: number;
  height: number;
  /** width * height * 4 bytes, RGBA. */
  data: Uint8Array | Uint8ClampedArray;
}

export interface GifOptions {
  /** Delay of every frame but the last (ms; GIF stores centiseconds). */
  delayMs: number;
  /** Delay of the last frame (ms). */
  lastDelayMs: number;
  /** `global`: one palette for all frames (fast); `per-frame`: each frame its own (slow on noisy frames). */
  palette?: 'global' | 'per-frame';
}

export const DEFAULT_GIF_OPTIONS: GifOptions = { delayMs: 100, lastDelayMs: 1500, palette: 'global' };

/** Frames whose pixels feed the global palette, and how many pixels of each (every `step`-th). */
const PALETTE_FRAMES = 8;
const PALETTE_PIXELS_PER_FRAME = 16_384;

/** One palette for the animation from an even sample of its frames' pixels, the last frame twice. */
export function globalPalette(frames: readonly RgbaFrame[]): Palette {
  const n = frames.length;
  const picks = new Set<number>();
  for (let i = 0; i < PALETTE_FRAMES; i++)
    picks.add(Math.round((i * (n - 1)) / Math.max(1, PALETTE_FRAMES - 1)));
  const chosen = [...picks].map((i) => frames[i]!);
  chosen.push(frames[n - 1]!);
  const parts: Uint8Array[] = [];
  for (const f of chosen) {
    const pixels = f.data.length / 4;
    const step = Math.max(1, Math.floor(pixels / PALETTE_PIXELS_PER_FRAME));
    const out = new Uint8Array(Math.ceil(pixels / step) * 4);
    let o = 0;
    for (let p = 0; p < pixels; p += step) {
      out.set(f.data.subarray(p * 4, p * 4 + 4), o);
      o += 4;
    }
    parts.push(out.subarray(0, o));
  }
  const sample = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    sample.set(p, o);
    o += p.length;
  }
  return quantize(sample, 256, { format: 'rgb444' });
}

function checkFrames(frames: readonly RgbaFrame[]): RgbaFrame {
  const first = frames[0];
  if (!first) throw new RangeError('a GIF needs at least one frame');
  frames.forEach((f, i) => {
    if (f.width !== first.width || f.height !== first.height) {
      throw new RangeError(
        `frame ${i} is ${f.width}x${f.height}, the animation is ${first.width}x${first.height}`,
      );
    }
    if (f.data.length !== f.width * f.height * 4) {
      throw new RangeError(`frame ${i} has ${f.data.length} bytes, expected ${f.width * f.height * 4}`);
    }
  });
  return first;
}

/**
 * Writes the animation one frame per `step()`, so a caller can pause between frames (the Worker paces
 * itself to leave the machine's other core to the pages and the sockets).
 */
export function gifSteps(frames: readonly RgbaFrame[], opts: GifOptions = DEFAULT_GIF_OPTIONS) {
  checkFrames(frames);
  const shared = (opts.palette ?? 'global') === 'global' ? globalPalette(frames) : undefined;
  const gif = GIFEncoder();
  let i = 0;
  return {
    /** Writes the next frame; false once every frame is written. */
    step(): boolean {
      const f = frames[i];
      if (!f) return false;
      const palette = shared ?? quantize(f.data, 256, { format: 'rgb444' });
      gif.writeFrame(applyPalette(f.data, palette, 'rgb444'), f.width, f.height, {
        // the first frame carries the global colour table; later frames reuse it unless they have their own
        ...(i === 0 || !shared ? { palette } : {}),
        delay: i === frames.length - 1 ? opts.lastDelayMs : opts.delayMs,
        // repeat applies to the first frame only: loop forever
        ...(i === 0 ? { repeat: 0 } : {}),
      });
      i++;
      return i < frames.length;
    },
    bytes(): Uint8Array {
      gif.finish();
      return gif.bytes();
    },
  };
}

export function encodeGif(frames: readonly RgbaFrame[], opts: GifOptions = DEFAULT_GIF_OPTIONS): Uint8Array {
  const writer = gifSteps(frames, opts);
  while (writer.step()) {
    // every frame written
  }
  return writer.bytes();
}

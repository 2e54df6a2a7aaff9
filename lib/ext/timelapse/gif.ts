/**
 * Animated GIF from RGBA frames, with gifenc. Pure computation (no DOM), so it runs in a Worker and in
 * Node's tests alike.
 *
 * One palette for the whole animation, quantised from pixels sampled across it (the last frame, the
 * result, weighted twice): measured on this 2-core machine, quantising every frame on its own took 3 s to
 * over 20 s per 64-frame job (gifenc's quantiser slows down with the number of distinct colours, and early
 * diffusion previews are noise), against under 1 s with one palette (`bench/ext-media.bench.ts`).
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

/**
 * Collects the pixels one palette for an animation of `count` frames is quantised from: an even sample of
 * its frames, the last one (the result) weighted twice. Frames can be offered one at a time as they are
 * decoded, so a caller never needs to hold the whole animation.
 */
export class PaletteSampler {
  private readonly picks = new Set<number>();
  private readonly parts: Uint8Array[] = [];

  constructor(private readonly count: number) {
    for (let i = 0; i < PALETTE_FRAMES; i++)
      this.picks.add(Math.round((i * (count - 1)) / Math.max(1, PALETTE_FRAMES - 1)));
  }

  /** Whether frame `index` feeds the palette. */
  wants(index: number): boolean {
    return this.picks.has(index);
  }

  add(index: number, f: RgbaFrame): void {
    if (!this.wants(index)) return;
    const pixels = f.data.length / 4;
    const step = Math.max(1, Math.floor(pixels / PALETTE_PIXELS_PER_FRAME));
    const out = new Uint8Array(Math.ceil(pixels / step) * 4);
    let o = 0;
    for (let p = 0; p < pixels; p += step) {
      out.set(f.data.subarray(p * 4, p * 4 + 4), o);
      o += 4;
    }
    const part = out.subarray(0, o);
    this.parts.push(part);
    if (index === this.count - 1) this.parts.push(part);
  }

  palette(): Palette {
    const sample = new Uint8Array(this.parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of this.parts) {
      sample.set(p, o);
      o += p.length;
    }
    return quantize(sample, 256, { format: 'rgb444' });
  }
}

/** One palette for the animation from an even sample of its frames' pixels, the last frame twice. */
export function globalPalette(frames: readonly RgbaFrame[]): Palette {
  const sampler = new PaletteSampler(frames.length);
  frames.forEach((f, i) => {
    sampler.add(i, f);
  });
  return sampler.palette();
}

/**
 * A looping GIF written a frame at a time. Frames written without their own palette use the first frame's
 * (the global colour table).
 */
export function gifWriter() {
  const gif = GIFEncoder();
  let written = 0;
  return {
    write(f: RgbaFrame, palette: Palette, delayMs: number, ownPalette = false): void {
      gif.writeFrame(applyPalette(f.data, palette, 'rgb444'), f.width, f.height, {
        // the first frame carries the global colour table; later frames reuse it unless they have their own
        ...(written === 0 || ownPalette ? { palette } : {}),
        delay: delayMs,
        // repeat applies to the first frame only: loop forever
        ...(written === 0 ? { repeat: 0 } : {}),
      });
      written++;
    },
    bytes(): Uint8Array {
      gif.finish();
      return gif.bytes();
    },
  };
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
  const gif = gifWriter();
  let i = 0;
  return {
    /** Writes the next frame; false once every frame is written. */
    step(): boolean {
      const f = frames[i];
      if (!f) return false;
      const palette = shared ?? quantize(f.data, 256, { format: 'rgb444' });
      gif.write(f, palette, i === frames.length - 1 ? opts.lastDelayMs : opts.delayMs, !shared);
      i++;
      return i < frames.length;
    },
    bytes: () => gif.bytes(),
  };
}

export function encodeGif(frames: readonly RgbaFrame[], opts: GifOptions = DEFAULT_GIF_OPTIONS): Uint8Array {
  const writer = gifSteps(frames, opts);
  while (writer.step()) {
    // every frame written
  }
  return writer.bytes();
}

/**
 * Animated GIF from RGBA frames, with gifenc. Pure computation (no DOM), so it runs in a Worker and in
 * Node's tests alike.
 *
 * Each frame gets its own 256-colour palette: a diffusion model's previews change colour from noise to the
 * final image, and one palette for the whole run would band the last frames, the ones a person looks at.
 * The last frame is held longer so the animation rests on the result before it loops.
 */
import { applyPalette, GIFEncoder, quantize } from 'gifenc';

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
}

export const DEFAULT_GIF_OPTIONS: GifOptions = { delayMs: 100, lastDelayMs: 1500 };

export function encodeGif(frames: readonly RgbaFrame[], opts: GifOptions = DEFAULT_GIF_OPTIONS): Uint8Array {
  const first = frames[0];
  if (!first) throw new RangeError('a GIF needs at least one frame');
  const gif = GIFEncoder();
  frames.forEach((f, i) => {
    if (f.width !== first.width || f.height !== first.height) {
      throw new RangeError(
        `frame ${i} is ${f.width}x${f.height}, the animation is ${first.width}x${first.height}`,
      );
    }
    if (f.data.length !== f.width * f.height * 4) {
      throw new RangeError(`frame ${i} has ${f.data.length} bytes, expected ${f.width * f.height * 4}`);
    }
    const palette = quantize(f.data, 256);
    const index = applyPalette(f.data, palette);
    gif.writeFrame(index, f.width, f.height, {
      palette,
      delay: i === frames.length - 1 ? opts.lastDelayMs : opts.delayMs,
      // repeat applies to the first frame only: loop forever
      ...(i === 0 ? { repeat: 0 } : {}),
    });
  });
  gif.finish();
  return gif.bytes();
}

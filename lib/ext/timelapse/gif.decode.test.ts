/**
 * The encoder's output is checked with an independent decoder (omggif), never by trusting the encoder:
 * frame count, size, timing, looping and the pixels themselves.
 */
import { GifReader } from 'omggif';
import { describe, expect, it } from 'vitest';
import { encodeGif, type RgbaFrame } from './gif';

/** A frame whose left half is `left` and right half is `right` (RGB), plus a gradient row to quantize. */
function frame(width: number, height: number, left: number[], right: number[]): RgbaFrame {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c =
        y === height - 1 ? [(x * 255) / width, 128, 255 - (x * 255) / width] : x < width / 2 ? left : right;
      data.set([c[0]!, c[1]!, c[2]!, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

function decode(bytes: Uint8Array) {
  const reader = new GifReader(bytes);
  const frames = Array.from({ length: reader.numFrames() }, (_, i) => {
    const info = reader.frameInfo(i);
    const rgba = new Uint8Array(reader.width * reader.height * 4);
    reader.decodeAndBlitFrameRGBA(i, rgba);
    return { info, rgba };
  });
  return { reader, frames };
}

const px = (rgba: Uint8Array, width: number, x: number, y: number) =>
  Array.from(rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 3));

describe('encodeGif, read back with omggif', () => {
  it.each([1, 2, 12, 64])('%i frames decode to %i frames of the same size', (n) => {
    const frames = Array.from({ length: n }, (_, i) => frame(48, 32, [i * 3, 0, 0], [0, 0, 255 - i * 3]));
    const bytes = encodeGif(frames, { delayMs: 100, lastDelayMs: 1500 });
    expect(new TextDecoder().decode(bytes.subarray(0, 6))).toBe('GIF89a');
    const { reader, frames: decoded } = decode(bytes);
    expect(reader.numFrames()).toBe(n);
    expect([reader.width, reader.height]).toEqual([48, 32]);
    // loops forever (NETSCAPE2.0 count 0)
    expect(reader.loopCount()).toBe(0);
    for (const [i, d] of decoded.entries()) {
      expect([d.info.width, d.info.height]).toEqual([48, 32]);
      expect(d.info.delay).toBe(i === n - 1 ? 150 : 10);
    }
  });

  it.each(['global', 'per-frame'] as const)('keeps each frame’s colours (%s palette)', (palette) => {
    const red = frame(16, 16, [250, 10, 10], [10, 250, 10]);
    const blue = frame(16, 16, [10, 10, 250], [240, 240, 20]);
    const { frames } = decode(encodeGif([red, blue], { delayMs: 100, lastDelayMs: 1500, palette }));
    const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) <= 8);
    expect(near(px(frames[0]!.rgba, 16, 2, 2), [250, 10, 10])).toBe(true);
    expect(near(px(frames[0]!.rgba, 16, 13, 2), [10, 250, 10])).toBe(true);
    expect(near(px(frames[1]!.rgba, 16, 2, 2), [10, 10, 250])).toBe(true);
    expect(near(px(frames[1]!.rgba, 16, 13, 2), [240, 240, 20])).toBe(true);
  });

  it.each([
    ['no frames', [] as RgbaFrame[]],
    ['frames of different sizes', [frame(8, 8, [0, 0, 0], [1, 1, 1]), frame(8, 9, [0, 0, 0], [1, 1, 1])]],
    ['a frame with the wrong byte count', [{ width: 4, height: 4, data: new Uint8Array(10) }]],
  ])('refuses %s with a RangeError', (_name, frames) => {
    expect(() => encodeGif(frames)).toThrow(RangeError);
  });
});

import { GifReader } from 'omggif';
import { describe, expect, it } from 'vitest';
import { fakeRasterEnv, solidFrame } from '../media/testing';
import { encodeTimelapse } from './encode';

/** A clock that advances 10 ms per reading while working and by the rest asked for while resting. */
function fakeTime() {
  let t = 0;
  const rests: number[] = [];
  return {
    now: () => {
      t += 10;
      return t;
    },
    rest: async (ms: number) => {
      rests.push(ms);
      t += ms;
    },
    rests,
  };
}

describe('encodeTimelapse pacing', () => {
  it.each([
    [0, 0],
    [1, 1],
    [2, 2],
  ])(
    'rest ratio %i rests %i times the work after each frame, and reports work and wall time apart',
    async (ratio) => {
      const time = fakeTime();
      const frames = Array.from({ length: 5 }, (_, i) => solidFrame(i * 40, 0, 0));
      const out = await encodeTimelapse(
        { frames, maxSide: 64, restRatio: ratio, format: 'gif' },
        { raster: fakeRasterEnv(), now: time.now, rest: time.rest },
      );
      expect(out?.frames).toBe(5);
      expect(new GifReader(out!.bytes).numFrames()).toBe(5);
      if (ratio === 0) expect(time.rests.every((r) => r === 0)).toBe(true);
      else {
        // 5 rasterised frames and 4 written ones before the last (the last needs no rest after it)
        expect(time.rests.filter((r) => r > 0)).toHaveLength(9);
        const rested = time.rests.reduce((a, b) => a + b, 0);
        // every piece of work but the final one (finishing the file) is followed by its rest
        expect(rested).toBeLessThanOrEqual(out!.encodeMs * ratio);
        expect(rested).toBeGreaterThanOrEqual((out!.encodeMs - 20) * ratio);
      }
      expect(out!.elapsedMs).toBeGreaterThanOrEqual(out!.encodeMs);
    },
  );
});

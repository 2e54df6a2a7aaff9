import { GifReader } from 'omggif';
import { describe, expect, it } from 'vitest';
import { fakeRasterEnv, solidFrame } from '../media/testing';
import { encodeTimelapse, holdGate, MAX_HOLD_MS, pacer } from './encode';

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

describe('holding off for a page that opens', () => {
  it('rests while held, after the frame in progress, and does not count the hold as work', async () => {
    const time = fakeTime();
    let hold = 300;
    const held = () => {
      const left = hold;
      hold = 0;
      return left;
    };
    const pace = pacer(1, time.now, time.rest, held);
    await pace.step();
    expect(time.rests).toEqual([10, 300]);
    expect(pace.worked()).toBe(20); // the step's 10 ms and this reading's
  });

  it.each([
    ['a hold', [[0, 300]], 100, 200],
    [
      'a shorter later hold does not shorten it',
      [
        [0, 300],
        [100, 50],
      ],
      100,
      200,
    ],
    [
      'a longer later hold extends it',
      [
        [0, 300],
        [100, 400],
      ],
      100,
      400,
    ],
    ['capped', [[0, 60_000]], 0, MAX_HOLD_MS],
    [
      'nonsense is ignored',
      [
        [0, -5],
        [0, Number.NaN],
        [0, Number.POSITIVE_INFINITY],
      ],
      0,
      0,
    ],
  ] as const)('%s', (_what, holds, at, left) => {
    let t = 0;
    const gate = holdGate(() => t);
    for (const [when, ms] of holds) {
      t = when;
      gate.hold(ms);
    }
    t = at;
    expect(gate.left()).toBe(left);
  });
});

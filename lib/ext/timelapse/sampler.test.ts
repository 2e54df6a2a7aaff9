import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EvenSampler } from './sampler';

function run(n: number, cap: number): number[] {
  const s = new EvenSampler<number>(cap);
  for (let i = 0; i < n; i++) s.add(i);
  return s.pick();
}

describe('EvenSampler', () => {
  it.each([
    [0, 64, []],
    [1, 64, [0]],
    [12, 64, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]],
    [5, 2, [0, 4]],
    [7, 1, [6]],
  ])('%i items with cap %i pick %j', (n, cap, expected) => {
    expect(run(n, cap)).toEqual(expected);
  });

  it.each([64, 65, 100, 127, 128, 129, 1000, 10_000])(
    '%i frames with cap 64: 64 picks, first and last included, evenly spread',
    (n) => {
      const picks = run(n, 64);
      expect(picks).toHaveLength(Math.min(n, 64));
      expect(picks[0]).toBe(0);
      expect(picks.at(-1)).toBe(n - 1);
      const gaps = picks.slice(1).map((p, i) => p - picks[i]!);
      const ideal = (n - 1) / 63;
      // every gap within one held-stride of the ideal spacing, never a duplicate
      for (const g of gaps) {
        expect(g).toBeGreaterThan(0);
        expect(Math.abs(g - ideal)).toBeLessThanOrEqual(Math.max(1, ideal));
      }
    },
  );

  it('holds at most 2 * cap + 1 items however long the stream', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 80 }), (n, cap) => {
        const s = new EvenSampler<number>(cap);
        let maxHeld = 0;
        for (let i = 0; i < n; i++) {
          s.add(i);
          maxHeld = Math.max(maxHeld, (s as unknown as { held: unknown[] }).held.length + 1);
        }
        expect(maxHeld).toBeLessThanOrEqual(2 * cap + 1);
        const picks = s.pick();
        expect(picks).toHaveLength(Math.min(n, cap));
        expect([...picks].sort((a, b) => a - b)).toEqual(picks);
        expect(new Set(picks).size).toBe(picks.length);
      }),
    );
  });

  it('thins out earlier when the held bytes exceed maxBytes, still keeping the newest', () => {
    const s = new EvenSampler<number>(64, () => 1000, 10_000);
    for (let i = 0; i < 200; i++) s.add(i);
    const held = (s as unknown as { held: { bytes: number }[] }).held;
    expect(held.reduce((a, h) => a + h.bytes, 0)).toBeLessThanOrEqual(10_000);
    const picks = s.pick();
    expect(picks[0]).toBe(0);
    expect(picks.at(-1)).toBe(199);
  });

  it('refuses a cap that is not a positive integer', () => {
    expect(() => new EvenSampler(0)).toThrow(RangeError);
    expect(() => new EvenSampler(2.5)).toThrow(RangeError);
  });
});

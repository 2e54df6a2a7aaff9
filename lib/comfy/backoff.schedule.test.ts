import { describe, expect, it } from 'vitest';
import {
  type BackoffPolicy,
  cappedExponentialBackoff,
  DEFAULT_JITTER,
  DEFAULT_SCHEDULE_MS,
  defaultBackoff,
  fixedBackoff,
} from './backoff';
import { seededRandom } from './testing/fake-clock';

/** Retry times (ms after the drop) a policy produces within `horizonMs`, each handshake failing at once. */
function retryTimes(policy: BackoffPolicy, random: () => number, horizonMs: number): number[] {
  const times: number[] = [];
  let t = 0;
  for (let failures = 0; ; failures++) {
    const d = policy.delay(failures, random);
    if (d === null) return times;
    t += d;
    if (t > horizonMs) return times;
    times.push(t);
  }
}

/** How long after the server is back (at `backAt`) the next retry lands; Infinity if it never does. */
function recovery(policy: BackoffPolicy, random: () => number, backAt: number): number {
  const next = retryTimes(policy, random, 10 * 60_000).find((t) => t >= backAt);
  return next === undefined ? Number.POSITIVE_INFINITY : next - backAt;
}

describe('default backoff schedule', () => {
  it.each(DEFAULT_SCHEDULE_MS.map((base, failures) => ({ failures, base })))(
    'retry after $failures failures waits base $base ms within ±20 %',
    ({ failures, base }) => {
      const low = defaultBackoff.delay(failures, () => 0)!;
      const high = defaultBackoff.delay(failures, () => 0.999_999)!;
      expect(low).toBe(Math.round(base * (1 - DEFAULT_JITTER)));
      expect(high).toBe(Math.round(base * (1 + DEFAULT_JITTER)));
      for (const r of [0.1, 0.5, 0.9]) {
        const d = defaultBackoff.delay(failures, () => r)!;
        expect(d).toBeGreaterThanOrEqual(low);
        expect(d).toBeLessThanOrEqual(high);
      }
    },
  );

  it('starts quick: the first three retries fit in 2.1 s even at the top of the jitter', () => {
    expect(retryTimes(defaultBackoff, () => 0.999, 2100)).toHaveLength(3);
  });

  it('caps at 30 s ± jitter and never gives up', () => {
    for (const failures of [12, 50, 1_000, 100_000]) {
      const d = defaultBackoff.delay(failures, () => 0.5);
      expect(d).toBe(30_000);
    }
  });

  it.each([
    ['lowest jitter', () => 0],
    ['highest jitter', () => 0.999_999],
    ['seeded', seededRandom(7)],
  ])('a 120 s outage costs at most 20 attempts (%s)', (_name, random) => {
    const n = retryTimes(defaultBackoff, random, 120_000).length;
    expect(n).toBeLessThanOrEqual(20);
    expect(n).toBeGreaterThanOrEqual(10); // and still keeps trying through it
  });

  it('comes back within 1.5 s on average after a 5-6 s restart', () => {
    const random = seededRandom(42);
    const samples: number[] = [];
    for (let i = 0; i < 500; i++) samples.push(recovery(defaultBackoff, random, 5000 + random() * 1000));
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(mean).toBeLessThanOrEqual(1500);
    expect(Math.max(...samples)).toBeLessThanOrEqual(2500);
  });
});

describe('default HTTP probe periods while disconnected', () => {
  it.each([
    [0, 500],
    [29_999, 500],
    [30_000, 2000],
    [299_999, 2000],
    [300_000, 5000],
    [86_400_000, 5000],
  ])('%i ms into an outage: a probe every %i ms (±20 %)', (downFor, base) => {
    expect(defaultBackoff.probeDelay!(downFor, () => 0.5)).toBe(base);
    expect(defaultBackoff.probeDelay!(downFor, () => 0)).toBe(Math.round(base * 0.8));
    expect(defaultBackoff.probeDelay!(downFor, () => 0.999_999)).toBe(Math.round(base * 1.2));
  });

  it('the peer policies never probe', () => {
    expect(fixedBackoff(300).probeDelay).toBeUndefined();
    expect(cappedExponentialBackoff(1000, 15_000, 10).probeDelay).toBeUndefined();
  });
});

describe('peer policies kept for comparison', () => {
  it('fixed 300 ms: ~400 attempts in 120 s', () => {
    expect(retryTimes(fixedBackoff(300), Math.random, 120_000)).toHaveLength(400);
  });

  it('1-15 s with a 10-attempt limit: gives up for good before 120 s', () => {
    const policy = cappedExponentialBackoff(1000, 15_000, 10);
    const times = retryTimes(policy, Math.random, 10 * 60_000);
    expect(times).toHaveLength(10);
    expect(times.at(-1)).toBeLessThan(120_000);
    expect(recovery(policy, Math.random, 200_000)).toBe(Number.POSITIVE_INFINITY);
  });
});

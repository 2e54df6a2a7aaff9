import { describe, expect, it } from 'vitest';
import { FakeClock } from '../lib/comfy/testing/fake-clock';
import { RateLimiter } from './ratelimit';

describe('RateLimiter (token bucket per key)', () => {
  it('allows the burst, then asks to wait until a token has refilled, per key', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(0.5, 2, clock);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 2]);
    expect(limiter.take('b')).toBe(0);
    clock.advance(2000);
    expect(limiter.take('a')).toBe(0);
  });

  it('keeps its memory bounded: refilled buckets are dropped, and a flood of addresses is forgotten', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(1, 5, clock);
    for (let i = 0; i < 10_000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`);
    clock.advance(10_000);
    limiter.take('next');
    expect(limiter.size).toBe(1);
    for (let i = 0; i < 10_000; i++) limiter.take(`flood-${i}`);
    expect(limiter.size).toBeLessThanOrEqual(10_000);
  });
});

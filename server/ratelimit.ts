// Token bucket per API key: `burst` requests at once, refilled at `rate` per second. Per instance; with
// N instances behind a balancer the effective limit is at most N times higher, which is fine for abuse
// protection (its purpose) and keeps the hot path free of database writes.
import type { Clock } from '../lib/comfy/types';

const MAX_BUCKETS = 10_000;

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  /** Takes one token; returns 0 when allowed, else the seconds to wait before retrying. */
  take(key: string): number {
    const now = this.clock.now();
    // Keyed by client address too, so the map must not grow without bound: a bucket that has refilled
    // completely is the same as no bucket.
    if (this.buckets.size >= MAX_BUCKETS) {
      this.dropFull(now);
      // Still full of partly used buckets (many addresses at once): forget them rather than grow.
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.clear();
    }
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / this.rate);
  }

  get size(): number {
    return this.buckets.size;
  }

  private dropFull(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.rate >= this.burst) this.buckets.delete(key);
    }
  }
}

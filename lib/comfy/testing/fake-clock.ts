/**
 * A deterministic `Clock`: timers run only when the test advances time, in due order, and `now()` is
 * the time of the timer being run. No real timers are involved.
 */
import type { Clock } from '../types';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now = (): number => this.t;

  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.timers.push({ id, at: this.t + Math.max(0, ms), fn });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.timers = this.timers.filter((t) => t.id !== handle);
  };

  /** Number of timers waiting. */
  get pending(): number {
    return this.timers.length;
  }

  /** Delays (from now) of the waiting timers, soonest first. */
  pendingDelays(): number[] {
    return this.timers.map((t) => t.at - this.t).sort((a, b) => a - b);
  }

  /** Runs every timer due within `ms`, synchronously, then sets the time to now + ms. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (let next = this.nextDue(end); next; next = this.nextDue(end)) {
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }

  /** Like `advance`, but lets pending promise callbacks run after each timer (for async probes). */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.t + ms;
    await flushMicrotasks();
    for (let next = this.nextDue(end); next; next = this.nextDue(end)) {
      this.t = next.at;
      next.fn();
      await flushMicrotasks();
    }
    this.t = end;
  }

  /** Runs the next timer, whenever it is due; returns the delay it waited, or undefined when none. */
  runNext(): number | undefined {
    const next = this.nextDue(Number.POSITIVE_INFINITY);
    if (!next) return undefined;
    const waited = next.at - this.t;
    this.t = next.at;
    next.fn();
    return waited;
  }

  private nextDue(end: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers)
      if (t.at <= end && (!best || t.at < best.at || (t.at === best.at && t.id < best.id))) best = t;
    if (best) this.timers = this.timers.filter((t) => t !== best);
    return best;
  }
}

export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** A seeded `Random` (mulberry32) so jittered schedules repeat exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

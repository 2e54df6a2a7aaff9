/**
 * Even sampling of a stream whose length is unknown until it ends (a job's preview frames), in bounded
 * memory.
 *
 * Invariants:
 * - At most `2 * cap + 1` items are held whatever the stream's length: every `stride`-th item is kept, and
 *   when the held items reach `2 * cap` (or `maxBytes`), every other one is dropped and the stride doubles.
 *   The held items therefore stay evenly spaced over the whole stream, never just its beginning.
 * - The newest item is always held, so the last frame of an animation is the job's last preview.
 * - `pick()` returns `min(count, cap)` items in stream order, the first and the newest included, the rest
 *   chosen nearest to evenly spaced positions of the original stream.
 */

interface Held<T> {
  index: number;
  item: T;
  bytes: number;
}

export class EvenSampler<T> {
  private held: Held<T>[] = [];
  private newest: Held<T> | undefined;
  private stride = 1;
  private seen = 0;
  private heldBytes = 0;

  constructor(
    readonly cap: number,
    private readonly size: (item: T) => number = () => 0,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`cap must be a positive integer, got ${cap}`);
  }

  /** How many items were offered so far. */
  get count(): number {
    return this.seen;
  }

  add(item: T): void {
    const entry = { index: this.seen, item, bytes: this.size(item) };
    this.seen++;
    this.newest = entry;
    if (entry.index % this.stride !== 0) return;
    this.held.push(entry);
    this.heldBytes += entry.bytes;
    while (this.held.length > 1 && (this.held.length >= 2 * this.cap || this.heldBytes > this.maxBytes)) {
      this.held = this.held.filter((h) => (h.index / this.stride) % 2 === 0);
      this.stride *= 2;
      this.heldBytes = this.held.reduce((a, h) => a + h.bytes, 0);
    }
  }

  pick(): T[] {
    const pool = [...this.held];
    if (this.newest && pool.at(-1) !== this.newest) pool.push(this.newest);
    if (pool.length <= this.cap) return pool.map((h) => h.item);
    if (this.cap === 1) return [pool.at(-1)!.item];
    const last = pool.at(-1)!.index;
    const out: T[] = [];
    let from = 0;
    for (let i = 0; i < this.cap; i++) {
      const target = (i * last) / (this.cap - 1);
      // nearest held item at or after `from`, leaving enough items for the picks still to come
      const limit = pool.length - (this.cap - i);
      let best = from;
      while (
        best < limit &&
        Math.abs(pool[best + 1]!.index - target) <= Math.abs(pool[best]!.index - target)
      ) {
        best++;
      }
      out.push(pool[best]!.item);
      from = best + 1;
    }
    return out;
  }
}

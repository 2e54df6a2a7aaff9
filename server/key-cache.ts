// API key checks without a database round trip per request. Entries are trusted only while the LISTEN
// connection is up: a key change (revocation) NOTIFYs every instance, which drops the key at once; when
// the feed is lost or restored everything is dropped (changes may have been missed), and while it is down
// every check goes to the database. The TTL is a safety net, not the revocation mechanism. Unknown tokens
// are never cached: a key created a moment ago must work on its first request.
import type { Clock } from '../lib/comfy/types';
import type { KeyChangeFeed } from './hub';
import { type ApiKey, hashToken, plausibleToken } from './repo/keys';

export interface KeyCacheOptions {
  /** The live key with this token hash, from the database. */
  load(tokenHash: string): Promise<ApiKey | null>;
  feed: KeyChangeFeed;
  clock: Pick<Clock, 'now'>;
  ttlMs?: number;
  maxEntries?: number;
}

export class KeyCache {
  private readonly entries = new Map<string, { key: ApiKey; at: number }>();
  /** Bumped on every invalidation, so a load that raced with one does not store what it read before. */
  private generation = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly unsubscribe: () => void;

  constructor(private readonly opts: KeyCacheOptions) {
    this.ttlMs = opts.ttlMs ?? 30_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.unsubscribe = opts.feed.onKeyChange((id) => this.invalidate(id));
  }

  /** The live key a token belongs to, or null (malformed, unknown or revoked). */
  async verify(token: string): Promise<ApiKey | null> {
    if (!plausibleToken(token)) return null;
    const hash = hashToken(token);
    const now = this.opts.clock.now();
    const hit = this.entries.get(hash);
    if (hit && this.opts.feed.listening && now - hit.at < this.ttlMs) return hit.key;
    const generation = this.generation;
    const key = await this.opts.load(hash);
    if (key && this.opts.feed.listening && generation === this.generation) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(hash, { key, at: now });
    } else if (!key) {
      this.entries.delete(hash);
    }
    return key;
  }

  /** Drops one key (by id) or, with null, everything. */
  invalidate(keyId: string | null): void {
    this.generation++;
    if (keyId === null) {
      this.entries.clear();
      return;
    }
    for (const [hash, e] of this.entries) if (String(e.key.id) === keyId) this.entries.delete(hash);
  }

  get size(): number {
    return this.entries.size;
  }

  close(): void {
    this.unsubscribe();
    this.entries.clear();
  }
}

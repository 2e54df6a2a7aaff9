import { describe, expect, it } from 'vitest';
import type { KeyChangeFeed, KeyChangeListener } from './hub';
import { KeyCache } from './key-cache';
import { type ApiKey, hashToken } from './repo/keys';

const TOKEN = 'cpk_live-token';
const OTHER = 'cpk_other-token';
const key = (id: number): ApiKey => ({
  id,
  name: `k${id}`,
  scopes: ['ingest'],
  createdAt: new Date(0),
  revokedAt: null,
});

function setup(opts: { listening?: boolean } = {}) {
  const db = new Map<string, ApiKey>([
    [hashToken(TOKEN), key(1)],
    [hashToken(OTHER), key(2)],
  ]);
  let loads = 0;
  let gate: Promise<void> | null = null;
  const listeners = new Set<KeyChangeListener>();
  const feed: KeyChangeFeed & { listening: boolean; fire(id: string | null): void } = {
    listening: opts.listening ?? true,
    onKeyChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    fire(id) {
      for (const fn of listeners) fn(id);
    },
  };
  const clock = { t: 0, now: () => clock.t };
  const cache = new KeyCache({
    load: async (hash) => {
      loads++;
      const found = db.get(hash) ?? null;
      if (gate) await gate;
      return found;
    },
    feed,
    clock,
    ttlMs: 1000,
  });
  return {
    cache,
    db,
    feed,
    clock,
    loads: () => loads,
    hold() {
      let open!: () => void;
      gate = new Promise((r) => {
        open = r;
      });
      return () => {
        gate = null;
        open();
      };
    },
  };
}

describe('KeyCache', () => {
  it('answers repeated checks from memory while the invalidation feed is up', async () => {
    const s = setup();
    for (let i = 0; i < 5; i++) expect((await s.cache.verify(TOKEN))?.id).toBe(1);
    expect(s.loads()).toBe(1);
  });

  it('goes to the database for every check while the feed is down (a revocation could be missed)', async () => {
    const s = setup({ listening: false });
    await s.cache.verify(TOKEN);
    await s.cache.verify(TOKEN);
    expect(s.loads()).toBe(2);
    expect(s.cache.size).toBe(0);
  });

  it.each([
    ['a NOTIFY for that key id', '1', [null, 2]],
    ['the feed being lost or restored', null, [null, null]],
  ] as const)('drops keys on %s', async (_n, payload, cachedAfter) => {
    const s = setup();
    await s.cache.verify(TOKEN);
    await s.cache.verify(OTHER);
    s.db.delete(hashToken(TOKEN)); // revoked in the database
    s.feed.fire(payload);
    expect(await s.cache.verify(TOKEN)).toBeNull();
    const loadsBefore = s.loads();
    expect((await s.cache.verify(OTHER))?.id).toBe(2);
    expect(s.loads() - loadsBefore).toBe(cachedAfter[1] === null ? 1 : 0);
  });

  it('re-reads a key after the TTL (a safety net should a NOTIFY ever be lost)', async () => {
    const s = setup();
    await s.cache.verify(TOKEN);
    s.clock.t = 999;
    await s.cache.verify(TOKEN);
    expect(s.loads()).toBe(1);
    s.db.delete(hashToken(TOKEN));
    s.clock.t = 1000;
    expect(await s.cache.verify(TOKEN)).toBeNull();
    expect(s.loads()).toBe(2);
  });

  it('does not store a key read before a revocation that arrived while the read was in flight', async () => {
    const s = setup();
    const release = s.hold();
    const pending = s.cache.verify(TOKEN); // reads the live row, then waits
    await Promise.resolve();
    s.db.delete(hashToken(TOKEN));
    s.feed.fire('1');
    release();
    expect((await pending)?.id).toBe(1); // that request began before the revocation
    expect(await s.cache.verify(TOKEN)).toBeNull();
  });

  it('never caches an unknown token, so a key created a moment later works at once', async () => {
    const s = setup();
    const fresh = 'cpk_fresh';
    expect(await s.cache.verify(fresh)).toBeNull();
    s.db.set(hashToken(fresh), key(3));
    expect((await s.cache.verify(fresh))?.id).toBe(3);
  });

  it.each([['not-a-key'], [`cpk_${'x'.repeat(300)}`]])('refuses %s without a lookup', async (token) => {
    const s = setup();
    expect(await s.cache.verify(token)).toBeNull();
    expect(s.loads()).toBe(0);
  });
});

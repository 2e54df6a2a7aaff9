import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { freshDb } from '../testing/records';
import { DEFAULT_SERVER_URL, ensureDefaultServer, removeServer, saveServer } from './servers';

describe('servers', () => {
  it('creates the local default server once, with a stable clientId of its own', async () => {
    const db = freshDb();
    expect(await ensureDefaultServer(db, 'Local ComfyUI', 5)).toBe(true);
    expect(await ensureDefaultServer(db, 'Local ComfyUI', 6)).toBe(false);
    const all = await db.servers.toArray();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ name: 'Local ComfyUI', url: DEFAULT_SERVER_URL, enabled: true });
    expect(all[0]!.clientId).toMatch(/^comfypulse-[0-9a-f-]{36}$/);
    // the user removes it: it stays removed across worker starts
    await removeServer(db, all[0]!.id);
    expect(await ensureDefaultServer(db, 'Local ComfyUI', 7)).toBe(false);
    expect(await db.servers.count()).toBe(0);
  });

  it('keeps the clientId and the token across edits, and clears the token on an empty string', async () => {
    const db = freshDb();
    const a = await saveServer(db, { name: 'Box', url: 'http://10.0.0.5:8188/', token: 'sekret' }, 1);
    if (!a.ok) throw new Error(a.error);
    expect(a.server.url).toBe('http://10.0.0.5:8188');
    expect(JSON.stringify(a)).not.toContain('sekret');
    const b = await saveServer(db, { id: a.server.id, name: 'Box 2', url: 'http://10.0.0.5:8000' }, 2);
    if (!b.ok) throw new Error(b.error);
    expect(b.server.clientId).toBe(a.server.clientId);
    expect((await db.servers.get(a.server.id))?.token).toBe('sekret');
    await saveServer(db, { id: a.server.id, name: 'Box 2', url: 'http://10.0.0.5:8000', token: '' }, 3);
    expect((await db.servers.get(a.server.id))?.token).toBeUndefined();
    expect(await removeServer(db, a.server.id)).toBe(true);
    expect(await db.servers.count()).toBe(0);
  });

  it.each([['ftp://x'], ['javascript:alert(1)'], ['']])('refuses the address %j', async (url) => {
    const r = await saveServer(freshDb(), { name: 'x', url }, 1);
    expect(r.ok).toBe(false);
  });
});

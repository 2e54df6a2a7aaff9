import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { freshDb, makeServer } from '../testing/records';
import {
  DEFAULT_SERVER_URL,
  ensureDefaultServer,
  migrateTokenModeDefault,
  removeServer,
  saveServer,
  TOKEN_MODE_MIGRATION_KEY,
} from './servers';

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

  it('sends tokens as a header by default, for the default server and for a new one alike', async () => {
    const db = freshDb();
    await ensureDefaultServer(db, 'Local ComfyUI', 1);
    const r = await saveServer(db, { name: 'Box', url: 'http://10.0.0.5:8188', token: 'sekret' }, 2);
    expect((await db.servers.toArray()).map((s) => s.tokenMode)).toEqual(['header', 'header']);
    // an explicit choice is kept
    if (!r.ok) throw new Error(r.error);
    await saveServer(
      db,
      { id: r.server.id, name: 'Box', url: 'http://10.0.0.5:8188', tokenMode: 'query' },
      3,
    );
    expect((await db.servers.get(r.server.id))?.tokenMode).toBe('query');
  });

  it('migrates servers saved under the old default once: tokenless ones to header, ones with a token kept', async () => {
    const db = freshDb();
    await db.servers.bulkPut([
      makeServer('plain', 'http://127.0.0.1:8188', { tokenMode: 'query' }),
      makeServer('working', 'http://10.0.0.5:8188', { tokenMode: 'query', token: 'sekret' }),
      makeServer('both', 'http://10.0.0.6:8188', { tokenMode: 'both', token: 't' }),
    ]);
    expect(await migrateTokenModeDefault(db, 10)).toBe(1);
    const modes = Object.fromEntries((await db.servers.toArray()).map((s) => [s.id, s.tokenMode]));
    expect(modes).toEqual({ plain: 'header', working: 'query', both: 'both' });
    expect((await db.servers.get('working'))?.token).toBe('sekret');
    expect(await db.settings.get(TOKEN_MODE_MIGRATION_KEY)).toEqual({
      key: TOKEN_MODE_MIGRATION_KEY,
      value: { at: 10 },
    });
    // once only: a user who picks query afterwards keeps it
    await db.servers.update('plain', { tokenMode: 'query' });
    expect(await migrateTokenModeDefault(db, 11)).toBe(0);
    expect((await db.servers.get('plain'))?.tokenMode).toBe('query');
  });

  it.each([['ftp://x'], ['javascript:alert(1)'], ['']])('refuses the address %j', async (url) => {
    const r = await saveServer(freshDb(), { name: 'x', url }, 1);
    expect(r.ok).toBe(false);
  });
});

/** Server records: validation of what the options page sends, stable clientIds, the default server. */
import { z } from 'zod';
import { type ComfyPulseDB, DEFAULT_TOKEN_MODE, type ServerRecord } from '../db';
import { normaliseServerUrl } from '../permissions';
import type { ProtocolResponse, ServerInput } from '../protocol';
import { toPublicServer } from '../storage/repo';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8188';
export const DEFAULT_SERVER_ID = 'local';

const serverInputSchema = z.object({
  id: z.string().min(1).max(100).optional(),
  name: z.string().trim().max(100),
  url: z.string().trim().min(1).max(2000),
  token: z.string().max(4096).optional(),
  tokenMode: z.enum(['query', 'header', 'both']).optional(),
  enabled: z.boolean().optional(),
});

export function newClientId(newId: () => string = () => crypto.randomUUID()): string {
  return `comfypulse-${newId()}`;
}

/** Settings row marking that the first-run default was handled (so a user who removes it keeps it removed). */
export const BOOTSTRAP_KEY = 'bootstrap';

/**
 * Creates "Local ComfyUI" on a fresh install, so a default ComfyUI works with nothing to set up. Runs on
 * every worker start but acts once per installation: a server list the user emptied stays empty.
 */
export async function ensureDefaultServer(db: ComfyPulseDB, name: string, now: number): Promise<boolean> {
  return db.transaction('rw', db.servers, db.settings, async () => {
    if (await db.settings.get(BOOTSTRAP_KEY)) return false;
    await db.settings.put({ key: BOOTSTRAP_KEY, value: { at: now } });
    if ((await db.servers.count()) > 0) return false;
    await db.servers.add({
      id: DEFAULT_SERVER_ID,
      name,
      url: DEFAULT_SERVER_URL,
      tokenMode: DEFAULT_TOKEN_MODE,
      enabled: true,
      clientId: newClientId(),
      createdAt: now,
    });
    return true;
  });
}

/**
 * Adds or updates a server. The clientId is created once and kept across edits (a new id would look
 * like a new client to ComfyUI). An omitted token keeps the stored one; an empty string clears it.
 */
export async function saveServer(
  db: ComfyPulseDB,
  raw: ServerInput,
  now: number,
  newId: () => string = () => crypto.randomUUID(),
): Promise<ProtocolResponse<'bg:saveServer'>> {
  const parsed = serverInputSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => i.message).join('; ') };
  const input = parsed.data;
  const url = normaliseServerUrl(input.url);
  if (!url) return { ok: false, error: `not an http(s) server address: ${input.url}` };
  const saved = await db.transaction('rw', db.servers, async () => {
    const prev = input.id ? await db.servers.get(input.id) : undefined;
    const rec: ServerRecord = {
      id: prev?.id ?? input.id ?? newId(),
      name: input.name || prev?.name || new URL(url).host,
      url,
      tokenMode: input.tokenMode ?? prev?.tokenMode ?? DEFAULT_TOKEN_MODE,
      enabled: input.enabled ?? prev?.enabled ?? true,
      clientId: prev?.clientId ?? newClientId(newId),
      createdAt: prev?.createdAt ?? now,
    };
    const token = input.token === undefined ? prev?.token : input.token;
    if (token) rec.token = token;
    await db.servers.put(rec);
    return rec;
  });
  const { hasToken: _h, ...server } = toPublicServer(saved);
  return { ok: true, server };
}

/** Settings row marking that servers saved under the old default token mode were migrated. */
export const TOKEN_MODE_MIGRATION_KEY = 'migration:tokenModeHeader';

/**
 * Header tokens became the default (issue 8). Until then every server was saved with `query`, whether
 * the user chose it or not, since the form always sent its default. Runs once per installation:
 * - a server without a token gets `header`: its mode did nothing yet, so nobody chose it, and a token
 *   the user adds later goes in the header;
 * - a server with a token keeps `query`: it works as saved, and its server may accept nothing else
 *   (the options page recommends `header` next to it). Resolves how many servers changed.
 */
export async function migrateTokenModeDefault(db: ComfyPulseDB, now: number): Promise<number> {
  return db.transaction('rw', db.servers, db.settings, async () => {
    if (await db.settings.get(TOKEN_MODE_MIGRATION_KEY)) return 0;
    await db.settings.put({ key: TOKEN_MODE_MIGRATION_KEY, value: { at: now } });
    return db.servers
      .filter((s) => s.tokenMode === 'query' && !s.token)
      .modify({ tokenMode: DEFAULT_TOKEN_MODE });
  });
}

export async function removeServer(db: ComfyPulseDB, id: string): Promise<boolean> {
  return db.transaction('rw', db.servers, db.connections, async () => {
    const had = (await db.servers.get(id)) !== undefined;
    await db.servers.delete(id);
    await db.connections.delete(id);
    return had;
  });
}

// API keys: a random token shown once; only its sha-256 is stored, so a database leak reveals no token.
import { hash, randomBytes } from 'node:crypto';
import type pg from 'pg';

export const SCOPES = ['read', 'ingest', 'prompts'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKey {
  id: number;
  name: string;
  scopes: Scope[];
  createdAt: Date;
  revokedAt: Date | null;
}

// One-shot hash: it runs on every authenticated request, and createHash() costs several times more.
export const hashToken = (token: string) => hash('sha256', token, 'hex');

const TOKEN_PREFIX = 'cpk_';

export async function createKey(
  db: pg.Pool,
  name: string,
  scopes: Scope[],
): Promise<{ key: ApiKey; token: string }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const res = await db.query<{ id: string; created_at: Date }>(
    'INSERT INTO api_keys (name, token_hash, scopes) VALUES ($1, $2, $3) RETURNING id, created_at',
    [name, hashToken(token), scopes],
  );
  const row = res.rows[0]!;
  return { key: { id: Number(row.id), name, scopes, createdAt: row.created_at, revokedAt: null }, token };
}

/**
 * Revokes the live key with this name, or the key with this numeric id, and ends its dashboard sessions.
 * Returns how many keys were revoked.
 */
export async function revokeKey(db: pg.Pool, nameOrId: string): Promise<number> {
  const byId = /^\d{1,18}$/.test(nameOrId);
  const res = await db.query<{ n: string }>(
    `WITH revoked AS (
       UPDATE api_keys SET revoked_at = now()
       WHERE revoked_at IS NULL AND ${byId ? 'id = $1::bigint' : 'name = $1'} RETURNING id
     ), ended AS (DELETE FROM dashboard_sessions WHERE key_id IN (SELECT id FROM revoked))
     SELECT count(*) AS n FROM revoked`,
    [nameOrId],
  );
  return Number(res.rows[0]?.n ?? 0);
}

interface KeyRow {
  id: string;
  name: string;
  scopes: Scope[];
  created_at: Date;
  revoked_at: Date | null;
}
const toKey = (r: KeyRow): ApiKey => ({
  id: Number(r.id),
  name: r.name,
  scopes: r.scopes,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export async function listKeys(db: pg.Pool): Promise<ApiKey[]> {
  const res = await db.query<KeyRow>(
    'SELECT id, name, scopes, created_at, revoked_at FROM api_keys ORDER BY id',
  );
  return res.rows.map(toKey);
}

/** Cheap shape check before hashing: every token this server issues looks like this. */
export const plausibleToken = (token: string) => token.startsWith(TOKEN_PREFIX) && token.length <= 200;

/** The live key with this token hash, or null (unknown or revoked). */
export async function findLiveKey(db: pg.Pool, tokenHash: string): Promise<ApiKey | null> {
  const res = await db.query<KeyRow>(
    'SELECT id, name, scopes, created_at, revoked_at FROM api_keys WHERE token_hash = $1 AND revoked_at IS NULL',
    [tokenHash],
  );
  return res.rows[0] ? toKey(res.rows[0]) : null;
}

/** The live key a token belongs to, or null (unknown or revoked). */
export async function verifyToken(db: pg.Pool, token: string): Promise<ApiKey | null> {
  return plausibleToken(token) ? findLiveKey(db, hashToken(token)) : null;
}

// Dashboard sessions: the cookie carries a random id; the database maps its SHA-256 to the API key. A
// session ends when it expires, when it is signed out (row deleted), or when its key is revoked (every
// lookup joins the live key, so even a revocation made in plain SQL ends it at once).
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { type ApiKey, hashToken, type Scope } from './keys';

/** Session ids this server issues: 32 random bytes, base64url. Anything else is not looked up. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export async function createSession(db: pg.Pool, keyId: number, ttlMs: number): Promise<string> {
  const id = randomBytes(32).toString('base64url');
  // Expired rows are removed here, at the rare moment someone signs in, instead of by a timer.
  await db.query(
    `WITH gone AS (DELETE FROM dashboard_sessions WHERE expires_at < now())
     INSERT INTO dashboard_sessions (id_hash, key_id, expires_at)
     VALUES ($1, $2, now() + make_interval(secs => $3 / 1000.0))`,
    [hashToken(id), keyId, ttlMs],
  );
  return id;
}

/** The live key of a live session, or null. */
export async function sessionKey(db: pg.Pool, id: string): Promise<ApiKey | null> {
  if (!SESSION_ID.test(id)) return null;
  const res = await db.query<{ id: string; name: string; scopes: Scope[]; created_at: Date }>(
    `SELECT k.id, k.name, k.scopes, k.created_at FROM dashboard_sessions s
     JOIN api_keys k ON k.id = s.key_id AND k.revoked_at IS NULL
     WHERE s.id_hash = $1 AND s.expires_at > now()`,
    [hashToken(id)],
  );
  const r = res.rows[0];
  return r
    ? { id: Number(r.id), name: r.name, scopes: r.scopes, createdAt: r.created_at, revokedAt: null }
    : null;
}

export async function deleteSession(db: pg.Pool, id: string): Promise<void> {
  if (SESSION_ID.test(id))
    await db.query('DELETE FROM dashboard_sessions WHERE id_hash = $1', [hashToken(id)]);
}

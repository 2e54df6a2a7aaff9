// Dashboard sessions: the cookie is a random session id, never the key; sign-out and key revocation end
// the session; the sign-in route has a body limit and a per-address rate limit; the cookie is Secure over
// TLS, which behind a proxy is known from X-Forwarded-Proto only when the operator trusts the proxy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeKey } from './repo/keys';
import {
  DB_KINDS,
  openTestDatabase,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from './testing/databases';

const cookieOf = (res: Response) => res.headers.get('set-cookie') ?? '';
const sessionId = (res: Response) => /cp_session=([^;]*)/.exec(cookieOf(res))?.[1] ?? '';

describe.each(DB_KINDS)('dashboard sessions on %s', (kind) => {
  let tdb: TestDatabase;
  /** Direct connections: the peer address is the client; X-Forwarded-* are ignored. */
  let srv: TestServer;
  /** The same with 3 sign-ins per minute and address. */
  let limited: TestServer;
  /** Behind a trusted proxy (TRUST_PROXY): X-Forwarded-For and -Proto count. */
  let trusting: TestServer;

  beforeAll(async () => {
    tdb = await openTestDatabase(kind);
    srv = await startTestServer(tdb.db, { signinPerMinute: 1000 });
    limited = await startTestServer(tdb.db, { signinPerMinute: 3 });
    trusting = await startTestServer(tdb.db, { trustProxy: true, signinPerMinute: 1000 });
  });
  afterAll(async () => {
    for (const s of [srv, limited, trusting]) await s?.close();
    await tdb?.dispose();
  });

  const signIn = (s: TestServer, token: string, headers: Record<string, string> = {}) =>
    s.request('/v1/session', { method: 'POST', body: JSON.stringify({ token }), headers });
  const withCookie = (s: TestServer, id: string, path = '/v1/jobs', init: RequestInit = {}) =>
    s.request(path, { ...init, headers: { cookie: `cp_session=${id}` } });

  it('signs in with a read key, serves reads on the session, signs out, and the old cookie no longer works', async () => {
    const token = await srv.token(['read'], `dash-${kind}`);
    const res = await trusting.request('/v1/session', {
      method: 'POST',
      body: JSON.stringify({ token }),
      headers: { 'x-forwarded-for': '10.9.0.1' },
    });
    expect(res.status).toBe(200);
    const id = sessionId(res);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookieOf(res)).not.toContain(token);
    expect(cookieOf(res)).toMatch(/HttpOnly/i);
    expect(cookieOf(res)).toMatch(/SameSite=Strict/i);
    expect((await withCookie(trusting, id)).status).toBe(200);
    expect(await (await withCookie(trusting, id, '/v1/session')).json()).toMatchObject({
      name: `dash-${kind}`,
    });
    // The session is for reads only: it does not authorise an ingest.
    expect((await withCookie(trusting, id, '/v1/ingest', { method: 'POST' })).status).toBe(401);

    const out = await withCookie(trusting, id, '/v1/session', { method: 'DELETE' });
    expect(out.status).toBe(200);
    expect(cookieOf(out)).toMatch(/cp_session=;/);
    expect((await withCookie(trusting, id)).status).toBe(401);
    // The key itself still works: signing out ended the session, not the key.
    expect((await trusting.request('/v1/jobs', { token })).status).toBe(200);
  });

  it('ends every session of a key when the key is revoked', async () => {
    const token = await srv.token(['read'], `revoked-dash-${kind}`);
    const a = sessionId(await signIn(trusting, token));
    const b = sessionId(await signIn(trusting, token));
    expect((await withCookie(trusting, a)).status).toBe(200);
    expect(await revokeKey(tdb.db.pool, `revoked-dash-${kind}`)).toBe(1);
    expect((await withCookie(trusting, a)).status).toBe(401);
    expect((await withCookie(trusting, b)).status).toBe(401);
  });

  it('refuses a key without the read scope and a made-up session id', async () => {
    expect((await signIn(trusting, await srv.token(['ingest']))).status).toBe(403);
    expect((await withCookie(trusting, 'A'.repeat(43))).status).toBe(401);
    expect((await withCookie(trusting, 'not-a-session')).status).toBe(401);
  });

  it('refuses a sign-in body over 4 KiB before reading it', async () => {
    const res = await trusting.request('/v1/session', {
      method: 'POST',
      body: JSON.stringify({ token: 'x'.repeat(5000) }),
    });
    expect(res.status).toBe(413);
  });

  it('rate-limits sign-in attempts per client address, and other addresses still sign in', async () => {
    const token = await srv.token(['read']);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await signIn(limited, 'cpk_guess')).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const refused = await signIn(limited, token);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Behind a trusted proxy the address is the one the proxy saw: another client is not limited.
    const other = await srv.token(['read']);
    expect((await signIn(trusting, other, { 'x-forwarded-for': '10.9.0.2' })).status).toBe(200);
  });

  it('marks the cookie Secure when the request arrived over TLS at a trusted proxy, and only then', async () => {
    const token = await srv.token(['read']);
    const proxied = await signIn(trusting, token, { 'x-forwarded-proto': 'https' });
    expect(cookieOf(proxied)).toMatch(/;\s*Secure/i);
    const plain = await signIn(trusting, token, { 'x-forwarded-proto': 'http' });
    expect(cookieOf(plain)).not.toMatch(/Secure/i);
    // Without TRUST_PROXY the header is anyone's to send, so it is ignored.
    const untrusted = await signIn(srv, token, { 'x-forwarded-proto': 'https' });
    expect(untrusted.status).toBe(200);
    expect(cookieOf(untrusted)).toMatch(/cp_session=/);
    expect(cookieOf(untrusted)).not.toMatch(/Secure/i);
  });
});

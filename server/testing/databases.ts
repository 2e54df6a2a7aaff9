// The databases every integration test runs against: a real PostgreSQL (a fresh database per suite in the
// globalSetup cluster) and PGlite (in memory). Same test bodies for both via describe.each(DB_KINDS).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { defaultConfig, type ServerConfig } from '../config';
import { type Database, openDatabase } from '../db/database';
import { createKey, type Scope } from '../repo/keys';
import { type RunningServer, startServer } from '../server';

export type DbKind = 'postgres' | 'pglite';
export const DB_KINDS: DbKind[] = ['postgres', 'pglite'];

export interface TestDatabase {
  db: Database;
  /** The PostgreSQL URL of this database (postgres only), for opening more instances on it. */
  url?: string;
  dispose(): Promise<void>;
}

export function postgresAdminUrl(): string {
  const url = inject('pgUrl');
  if (!url) throw new Error(`No PostgreSQL for the tests: ${inject('pgError') || 'globalSetup did not run'}`);
  return url;
}

/** A fresh, empty database on the test cluster. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgresAdminUrl();
  const name = `cp_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function openTestDatabase(kind: DbKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const db = await openDatabase({ pgliteDir: 'memory://' });
    return { db, dispose: () => db.close() };
  }
  const created = await createPostgresDatabase();
  const db = await openDatabase({ databaseUrl: created.url });
  return {
    db,
    url: created.url,
    async dispose() {
      await db.close();
      await created.drop();
    },
  };
}

export function testConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return defaultConfig({ port: 0, host: '127.0.0.1', ...overrides });
}

export interface TestServer extends RunningServer {
  /** A fresh key with exactly these scopes. */
  token(scopes: Scope[], name?: string): Promise<string>;
  request(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
}

export async function startTestServer(
  db: Database,
  overrides: Partial<ServerConfig> = {},
  extra: Omit<Parameters<typeof startServer>[0], 'config' | 'db'> = {},
): Promise<TestServer> {
  const server = await startServer({ config: testConfig(overrides), db, ...extra });
  let n = 0;
  return {
    ...server,
    async token(scopes, name) {
      return (await createKey(db.pool, name ?? `test-${scopes.join('-')}-${n++}`, scopes)).token;
    },
    request(path, init = {}) {
      const { token, headers, ...rest } = init;
      const h = new Headers(headers);
      if (token) h.set('authorization', `Bearer ${token}`);
      if (rest.body && !h.has('content-type')) h.set('content-type', 'application/json');
      return fetch(server.url + path, { ...rest, headers: h });
    },
  };
}

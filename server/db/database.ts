// One code path for both backends: the server always speaks the PostgreSQL wire protocol through `pg`.
// Without DATABASE_URL it starts PGlite (PostgreSQL compiled to WASM) behind pglite-socket on a loopback
// port, so the same SQL and the same node-pg-migrate migrations run on both.
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { runner } from 'node-pg-migrate';
import pg from 'pg';

export const JOBS_CHANNEL = 'comfypulse_jobs';

export interface Database {
  kind: 'postgres' | 'pglite';
  pool: pg.Pool;
  /** Connection settings for extra dedicated clients (the LISTEN connection). */
  clientConfig: pg.ClientConfig;
  /**
   * Emits ('notification', payload) for every NOTIFY on JOBS_CHANNEL that reaches this process.
   *
   * PGlite is a single backend shared by every socket connection, so a NOTIFY is delivered on the
   * connection whose statement committed it, not on the one that ran LISTEN (measured with pglite-socket
   * 0.2.17). Every pool client therefore forwards its notifications here too; on a real PostgreSQL pool
   * clients never LISTEN and only the dedicated listener receives them. Either way each NOTIFY reaches
   * this emitter once.
   */
  notifications: EventEmitter;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL URL; when absent PGlite is used. */
  databaseUrl?: string;
  /** PGlite data folder; `memory://` keeps it in memory (tests). */
  pgliteDir?: string;
  poolSize?: number;
}

const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const notifications = new EventEmitter();
  notifications.setMaxListeners(0);
  const wire = (pool: pg.Pool) => {
    pool.on('connect', (client) => {
      client.on('notification', (n) => {
        if (n.channel === JOBS_CHANNEL) notifications.emit('notification', n.payload ?? '');
      });
    });
    // An idle client dying (server restart) must not crash the process; the pool replaces it.
    pool.on('error', () => {});
  };

  if (opts.databaseUrl) {
    const clientConfig: pg.ClientConfig = { connectionString: opts.databaseUrl };
    const pool = new pg.Pool({ ...clientConfig, max: opts.poolSize ?? 10 });
    wire(pool);
    return { kind: 'postgres', pool, clientConfig, notifications, close: () => pool.end() };
  }

  const dir = opts.pgliteDir ?? './.data/pglite';
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true });
  const lite = await PGlite.create(dir);
  const socket = new PGLiteSocketServer({ db: lite, host: '127.0.0.1', port: 0, maxConnections: 64 });
  await socket.start();
  const [host, port] = socket.getServerConn().split(':');
  const clientConfig: pg.ClientConfig = { host, port: Number(port), user: 'postgres', database: 'postgres' };
  const pool = new pg.Pool({ ...clientConfig, max: opts.poolSize ?? 8 });
  wire(pool);
  return {
    kind: 'pglite',
    pool,
    clientConfig,
    notifications,
    async close() {
      await pool.end();
      await socket.stop();
      await lite.close();
    },
  };
}

export async function migrate(db: Database): Promise<void> {
  const client = await db.pool.connect();
  try {
    await runner({
      dbClient: client,
      dir: migrationsDir,
      direction: 'up',
      migrationsTable: 'pgmigrations',
      // Several instances may start at once on one database; they queue instead of failing.
      advisoryLockMode: 'wait',
      log: () => {},
    });
  } finally {
    client.release();
  }
}

// One code path for both backends: the server always speaks the PostgreSQL wire protocol through `pg`.
// Without DATABASE_URL it starts PGlite (PostgreSQL compiled to WASM) behind pglite-socket on a loopback
// port, so the same SQL and the same node-pg-migrate migrations run on both.
import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { runner } from 'node-pg-migrate';
import pg from 'pg';

export const JOBS_CHANNEL = 'comfypulse_jobs';
/** NOTIFY with an API key's id whenever its row changes (revocation): drops it from every key cache. */
export const KEYS_CHANNEL = 'comfypulse_keys';

export interface Database {
  kind: 'postgres' | 'pglite';
  pool: pg.Pool;
  /** Connection settings for extra dedicated clients (the LISTEN connection). */
  clientConfig: pg.ClientConfig;
  /**
   * Emits ('notification', payload) for every NOTIFY on JOBS_CHANNEL that reaches this process, and
   * ('keys', payload) for KEYS_CHANNEL.
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
        else if (n.channel === KEYS_CHANNEL) notifications.emit('keys', n.payload ?? '');
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
  const releaseLock = dir.startsWith('memory://') ? () => {} : lockDataDir(dir);
  let lite: PGlite;
  try {
    lite = await PGlite.create(dir);
  } catch (err) {
    releaseLock();
    throw err;
  }
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
      releaseLock();
    },
  };
}

/**
 * PGlite is one process's database: a second process opening the same folder (say `keys create` while
 * the server runs) would corrupt it, and PGlite has no lock of its own. Takes a pid lock file, replacing
 * a stale one.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/comfypulse.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8'));
      if (pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new Error(
          `The PGlite data folder ${dir} is in use by process ${pid}. PGlite serves one process: stop that ` +
            'process first (e.g. create keys before starting the server), or use PostgreSQL (DATABASE_URL).',
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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

// `npm run server` starts the sync server; `npm run server -- keys create|revoke|list` manages API keys.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from './config';
import { migrate, openDatabase } from './db/database';
import { createKey, listKeys, revokeKey, SCOPES } from './repo/keys';
import { startServer } from './server';

const USAGE = `usage:
  npm run server                                   start the server (PGlite in $PGLITE_DIR unless DATABASE_URL)
  npm run server -- keys create NAME [--scopes read,ingest,prompts]   print a new token once (default scope: read)
  npm run server -- keys revoke NAME|ID
  npm run server -- keys list
  npm run server -- migrate                        apply migrations and exit`;

const ScopesArg = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.enum(SCOPES)).min(1));

async function withDb<T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await openDatabase({
    ...(config.databaseUrl !== undefined && { databaseUrl: config.databaseUrl }),
    pgliteDir: config.pgliteDir,
  });
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { scopes: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [cmd, sub, arg] = positionals;
  if (!cmd || cmd === 'serve') {
    const config = loadConfig();
    const server = await startServer({ config });
    const servers = Object.keys(config.comfyServers);
    console.log(
      `ComfyPulse sync server on ${server.url} (${server.db.kind === 'pglite' ? `PGlite in ${config.pgliteDir}` : 'PostgreSQL'}` +
        `; ComfyUI servers: ${servers.length ? servers.join(', ') : 'none'})`,
    );
    // One shutdown, whatever signals arrive meanwhile: a listener stays installed for every repeat, since
    // a signal with no listener left kills the process at once (before the database is closed, which
    // leaves PGlite's data and lock behind). `npm run server` runs node directly for the same reason: a
    // wrapper that relays signals (tsx's CLI) kills a child that does not acknowledge within milliseconds.
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        console.log(
          `${signal}: already shutting down (finishing requests in flight, then closing the database)`,
        );
        return;
      }
      stopping = true;
      console.log(`${signal}: shutting down`);
      server.close().then(
        ({ finished, cut }) => {
          console.log(`stopped (${finished} requests finished during shutdown, ${cut} cut at the deadline)`);
          process.exit(0);
        },
        (err: unknown) => {
          console.error('shutdown failed:', err instanceof Error ? err.message : err);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return -1;
  }
  if (cmd === 'migrate') {
    await withDb(async () => {});
    console.log('migrations applied');
    return 0;
  }
  if (cmd === 'keys' && sub === 'create' && arg) {
    const scopes = ScopesArg.safeParse(values.scopes ?? 'read');
    if (!scopes.success) {
      console.error(`--scopes: ${z.prettifyError(scopes.error)}\nknown scopes: ${SCOPES.join(', ')}`);
      return 2;
    }
    const { key, token } = await withDb((db) => createKey(db.pool, arg, scopes.data));
    console.log(`created key #${key.id} "${key.name}" with scopes ${key.scopes.join(',')}`);
    console.log('token (shown once, store it now):');
    console.log(token);
    return 0;
  }
  if (cmd === 'keys' && sub === 'revoke' && arg) {
    const n = await withDb((db) => revokeKey(db.pool, arg));
    if (n === 0) {
      console.error(`no live key named or numbered "${arg}"`);
      return 1;
    }
    console.log(`revoked ${n} key(s)`);
    return 0;
  }
  if (cmd === 'keys' && sub === 'list') {
    const keys = await withDb((db) => listKeys(db.pool));
    for (const k of keys) {
      const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'live';
      console.log(
        `#${k.id}\t${k.name}\t${k.scopes.join(',')}\tcreated ${k.createdAt.toISOString()}\t${state}`,
      );
    }
    if (keys.length === 0) console.log('no keys');
    return 0;
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);

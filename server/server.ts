// Process wiring: database, migrations, the LISTEN hub, the job starter and the HTTP listener.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { type Clock, type FetchLike, systemClock } from '../lib/comfy/types';
import { createApp } from './app';
import type { ServerConfig } from './config';
import { type Database, migrate, openDatabase } from './db/database';
import type { AppEnv } from './http';
import { JobHub } from './hub';
import { ComfyJobStarter } from './jobs/comfy-starter';
import type { JobStarter } from './jobs/starter';

export interface RunningServer {
  url: string;
  port: number;
  db: Database;
  hub: JobHub;
  app: Hono<AppEnv>;
  close(): Promise<void>;
}

export interface StartOptions {
  config: ServerConfig;
  /** A database opened by the caller (tests share one between instances); not closed by close(). */
  db?: Database;
  clock?: Clock;
  fetch?: FetchLike;
  starter?: JobStarter;
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const fetchImpl = opts.fetch ?? fetch;
  const ownDb = !opts.db;
  const db =
    opts.db ??
    (await openDatabase({
      ...(config.databaseUrl !== undefined && { databaseUrl: config.databaseUrl }),
      pgliteDir: config.pgliteDir,
    }));
  try {
    await migrate(db);
    const hub = new JobHub(db, clock, (err) =>
      console.error('job stream listener:', err instanceof Error ? err.message : err),
    );
    await hub.start();
    const starter = opts.starter ?? new ComfyJobStarter({ db, config, clock, fetch: fetchImpl });
    starter.start?.();
    const app = createApp({ db, config, hub, clock, starter, fetch: fetchImpl });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    });
    const port = (server.address() as AddressInfo).port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return {
      url: `http://${host}:${port}`,
      port,
      db,
      hub,
      app,
      async close() {
        await starter.close();
        await hub.stop();
        // SSE responses never end on their own; drop them so close() resolves.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (ownDb) await db.close();
      },
    };
  } catch (err) {
    if (ownDb) await db.close();
    throw err;
  }
}

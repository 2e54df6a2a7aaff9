// Process wiring: database, migrations, the LISTEN hub, the job starter and the HTTP listener.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { type Clock, type FetchLike, systemClock } from '../lib/comfy/types';
import { createApp } from './app';
import type { ServerConfig } from './config';
import { type Database, migrate, openDatabase } from './db/database';
import { type DrainReport, drainable } from './drain';
import type { AppEnv } from './http';
import { JobHub } from './hub';
import { ComfyJobStarter } from './jobs/comfy-starter';
import type { JobStarter } from './jobs/starter';
import { StreamRegistry } from './streams';

export interface RunningServer {
  url: string;
  port: number;
  db: Database;
  hub: JobHub;
  app: Hono<AppEnv>;
  /**
   * Stops in a fixed order: stop accepting connections, end the SSE streams, let requests in flight
   * finish (cut after `drainMs`), stop job tracking and the LISTEN connection, close the database (when
   * it opened it). Calling it again returns the same promise. Reports how the requests of the drain ended.
   */
  close(): Promise<DrainReport>;
}

export interface StartOptions {
  config: ServerConfig;
  /** A database opened by the caller (tests share one between instances); not closed by close(). */
  db?: Database;
  clock?: Clock;
  fetch?: FetchLike;
  starter?: JobStarter;
  /** How long close() lets requests in flight finish before it cuts their connections. */
  drainMs?: number;
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
    const streams = new StreamRegistry(config.streamsPerKey);
    const app = createApp({ db, config, hub, clock, starter, fetch: fetchImpl, streams });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    });
    const http = server as Server;
    const port = (http.address() as AddressInfo).port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const drain = drainable(http);
    let closing: Promise<DrainReport> | undefined;
    const close = async () => {
      streams.endAll();
      const report = await drain.drain(opts.drainMs ?? 10_000);
      await starter.close();
      await hub.stop();
      if (ownDb) await db.close();
      return report;
    };
    return {
      url: `http://${host}:${port}`,
      port,
      db,
      hub,
      app,
      close() {
        closing ??= close();
        return closing;
      },
    };
  } catch (err) {
    if (ownDb) await db.close();
    throw err;
  }
}

// A throwaway PostgreSQL (with its durability defaults: fsync and synchronous_commit on) + sync server
// for benchmarks, torn down afterwards.
import { defaultConfig, type ServerConfig } from '../config';
import { openDatabase } from '../db/database';
import { createKey } from '../repo/keys';
import { type RunningServer, startServer } from '../server';
import { startPgCluster } from './pg-cluster';

export interface BenchEnv {
  server: RunningServer;
  token: string;
  close(): Promise<void>;
}

export async function startBenchEnv(overrides: Partial<ServerConfig> = {}): Promise<BenchEnv> {
  const cluster = await startPgCluster({ durable: true });
  try {
    const db = await openDatabase({ databaseUrl: cluster.url, poolSize: 10 });
    const server = await startServer({
      db,
      config: defaultConfig({ port: 0, host: '127.0.0.1', ingestRate: 1e9, ingestBurst: 1e9, ...overrides }),
    });
    const { token } = await createKey(db.pool, 'bench', ['read', 'ingest']);
    return {
      server,
      token,
      async close() {
        await server.close();
        await db.close();
        await cluster.stop();
      },
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

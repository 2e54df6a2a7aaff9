// A throwaway PostgreSQL (with its durability defaults: fsync and synchronous_commit on) + sync server
// for benchmarks, torn down afterwards.
import http from 'node:http';

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

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/**
 * A lean keep-alive HTTP client for load generation: undici's fetch costs several ms of client CPU per
 * request in the same process, which would be measured as server latency.
 */
export function request(
  method: 'GET' | 'POST',
  url: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Ingest throughput into a real PostgreSQL (a throwaway cluster, synchronous_commit on) through
// POST /v1/ingest, in node runs per second, at 1, 100 and 1000 node runs per request (jobs of up to 10
// node runs), measured side by side in one run. The client fleet runs in a worker thread with
// CONCURRENCY keep-alive connections, one request in flight on each, as many extensions would. Every
// request carries new jobs, so every row is a real insert.
import { Worker } from 'node:worker_threads';
import { percentile, startBenchEnv } from '../server/testing/bench-env';
import type { LoadParams, LoadResult } from './ingest-load';
import type { Bench, BenchResult } from './types';

const TARGET = 5000;
const CONCURRENCY = 32;
const DURATION_MS = 5000;

function load(params: LoadParams): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    // tsx's loader does not reach worker threads on Node 20: the worker loads the TypeScript through
    // tsx's API instead.
    const file = new URL('./ingest-load.ts', import.meta.url).href;
    const boot = `import('tsx/esm/api').then((m) => m.tsImport(${JSON.stringify(file)}, ${JSON.stringify(file)}))`;
    const worker = new Worker(boot, { eval: true, workerData: params });
    worker.once('message', (r: LoadResult) => {
      void worker.terminate();
      if (r.error) reject(new Error(r.error));
      else resolve(r);
    });
    worker.once('error', reject);
  });
}

const bench: Bench = async () => {
  const env = await startBenchEnv({ ingestMaxBytes: 50 * 1024 * 1024, ingestMaxRecords: 1000 });
  const results: BenchResult[] = [];
  try {
    const sync = (await env.server.db.pool.query('SHOW synchronous_commit')).rows[0].synchronous_commit;
    const fsync = (await env.server.db.pool.query('SHOW fsync')).rows[0].fsync;
    for (const nodeRuns of [1, 100, 1000]) {
      const r = await load({
        url: `${env.server.url}/v1/ingest`,
        token: env.token,
        nodeRuns,
        concurrency: CONCURRENCY,
        durationMs: DURATION_MS,
        tag: `${process.pid}-${nodeRuns}`,
      });
      const rate = r.nodeRuns / r.seconds;
      results.push({
        name: `ingest, ${nodeRuns} node run${nodeRuns > 1 ? 's' : ''}/request`,
        value: rate,
        unit: 'node runs/s',
        target: `>= ${TARGET}`,
        ok: rate >= TARGET,
        detail:
          `${r.requests} requests in ${r.seconds.toFixed(1)} s (${(r.requests / r.seconds).toFixed(0)} req/s), ` +
          `${CONCURRENCY} keep-alive connections; latency p50 ${percentile(r.latencies, 50).toFixed(1)} ms, ` +
          `p95 ${percentile(r.latencies, 95).toFixed(1)} ms; synchronous_commit=${sync}, fsync=${fsync}`,
      });
    }
  } finally {
    await env.close();
  }
  return results;
};

export default bench;

// Ingest throughput into a real PostgreSQL (a throwaway cluster, synchronous_commit on) through
// POST /v1/ingest, in node runs per second, at 1, 100 and 1000 node runs per request (jobs of up to 10
// node runs), measured side by side in one run. The client fleet runs in a worker thread (node:http,
// keep-alive Agent) with FLEET connections, one request in flight on each, as that many extensions
// uploading at once would; one node run per request is also measured with a SMALL_FLEET. Every request
// carries new jobs, so every row is a real insert. After a 1 s warm-up per figure.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { percentile, startBenchEnv } from '../server/testing/bench-env';
import type { LoadParams, LoadResult } from './ingest-load';
import type { Bench, BenchResult } from './types';

const TARGET = 5000;
/** Extensions uploading at the same time: each is one keep-alive connection with one request in flight. */
const FLEET = 64;
/** A small team, where throughput at one node run per request is bounded by commit latency, not CPU. */
const SMALL_FLEET = 8;
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

/**
 * The same fleet against a bare node:http server that only parses the body and answers: what this shared
 * machine allows for one HTTP request per node run at this moment, a reference for the noisy absolute
 * figures (the ratio to it is steadier than either number).
 */
async function bareHttpRate(concurrency: number): Promise<number> {
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = (JSON.parse(Buffer.concat(chunks).toString()) as { records: unknown[] }).records.length;
      const body = JSON.stringify({ accepted: n, applied: n });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = srv.address() as AddressInfo;
    const r = await load({
      url: `http://127.0.0.1:${port}/v1/ingest`,
      token: 'none',
      nodeRuns: 1,
      concurrency,
      durationMs: DURATION_MS,
      warmupMs: 1000,
      tag: `${process.pid}-bare`,
    });
    return r.requests / r.seconds;
  } finally {
    srv.closeAllConnections();
    await new Promise((resolve) => srv.close(resolve));
  }
}

const bench: Bench = async () => {
  const env = await startBenchEnv({ ingestMaxBytes: 50 * 1024 * 1024, ingestMaxRecords: 1000 });
  const results: BenchResult[] = [];
  try {
    const sync = (await env.server.db.pool.query('SHOW synchronous_commit')).rows[0].synchronous_commit;
    const fsync = (await env.server.db.pool.query('SHOW fsync')).rows[0].fsync;
    const runs: [number, number][] = [
      [1, SMALL_FLEET],
      [1, FLEET],
      [100, FLEET],
      [1000, FLEET],
    ];
    for (const [nodeRuns, concurrency] of runs) {
      const r = await load({
        url: `${env.server.url}/v1/ingest`,
        token: env.token,
        nodeRuns,
        concurrency,
        durationMs: DURATION_MS,
        warmupMs: 1000,
        tag: `${process.pid}-${nodeRuns}`,
      });
      const rate = r.nodeRuns / r.seconds;
      results.push({
        name: `ingest, ${nodeRuns} node run${nodeRuns > 1 ? 's' : ''}/request, ${concurrency} clients`,
        value: rate,
        unit: 'node runs/s',
        ...(concurrency === FLEET && { target: `>= ${TARGET}`, ok: rate >= TARGET }),
        detail:
          `${r.requests} requests in ${r.seconds.toFixed(1)} s (${(r.requests / r.seconds).toFixed(0)} req/s), ` +
          `${concurrency} keep-alive connections; latency p50 ${percentile(r.latencies, 50).toFixed(1)} ms, ` +
          `p95 ${percentile(r.latencies, 95).toFixed(1)} ms; synchronous_commit=${sync}, fsync=${fsync}`,
      });
    }
    const bare = await bareHttpRate(FLEET);
    const ours = results.find((r) => r.name === `ingest, 1 node run/request, ${FLEET} clients`)!.value;
    results.push({
      name: `bare node:http server, 1 node run/request, ${FLEET} clients (reference)`,
      value: bare,
      unit: 'req/s',
      detail: `ingest at 1 node run/request reaches ${((100 * ours) / bare).toFixed(0)}% of it (parsing, auth, validation, a durable commit)`,
    });
  } finally {
    await env.close();
  }
  return results;
};

export default bench;

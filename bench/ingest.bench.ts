// Ingest throughput into a real PostgreSQL (a throwaway cluster) through POST /v1/ingest, in node runs per
// second, at 1, 100 and 1000 node runs per request (jobs of 10 node runs; 4 requests in flight, as
// several extensions would). Every request carries new jobs, so every row is a real insert.
import type { JobRecord } from '../lib/sync/schema';
import { request, startBenchEnv } from '../server/testing/bench-env';
import type { Bench, BenchResult } from './types';

const TARGET = 5000;
const CONCURRENCY = 4;
const DURATION_MS = 4000;

let seq = 0;
function jobs(nodeRuns: number): JobRecord[] {
  const perJob = Math.min(10, nodeRuns);
  const out: JobRecord[] = [];
  for (let left = nodeRuns; left > 0; left -= perJob) {
    const t = Date.now();
    const id = ++seq;
    out.push({
      server: 'bench',
      promptId: `bench-${process.pid}-${id}`,
      status: 'success',
      own: true,
      clientId: 'ext-bench',
      queuedAt: t - 5000,
      startedAt: t - 4000,
      endedAt: t,
      updatedAt: t,
      currentNode: null,
      progress: 1,
      outputs: { '9': { images: [{ filename: `b_${id}.png`, subfolder: '', type: 'output' }] } },
      nodes: Array.from({ length: Math.min(perJob, left) }, (_, i) => ({
        nodeId: String(i + 1),
        classType: i % 3 === 0 ? 'KSampler' : 'CLIPTextEncode',
        state: 'finished' as const,
        cached: false,
        startedAt: t - 4000 + i * 100,
        endedAt: t - 3900 + i * 100,
        durationMs: 100,
      })),
    });
  }
  return out;
}

const bench: Bench = async () => {
  const env = await startBenchEnv({ ingestMaxBytes: 50 * 1024 * 1024, ingestMaxRecords: 1000 });
  const results: BenchResult[] = [];
  try {
    const url = `${env.server.url}/v1/ingest`;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${env.token}` };
    for (const batch of [1, 100, 1000]) {
      // Warm-up: connections, JIT, plan cache.
      for (let i = 0; i < 5; i++)
        await fetch(url, { method: 'POST', headers, body: JSON.stringify({ records: jobs(batch) }) });
      let nodeRuns = 0;
      let requests = 0;
      const start = performance.now();
      const worker = async () => {
        while (performance.now() - start < DURATION_MS) {
          const body = JSON.stringify({ records: jobs(batch) });
          const res = await request('POST', url, headers, body);
          if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${res.text}`);
          nodeRuns += batch;
          requests++;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const secs = (performance.now() - start) / 1000;
      const rate = nodeRuns / secs;
      results.push({
        name: `ingest, ${batch} node run${batch > 1 ? 's' : ''}/request`,
        value: rate,
        unit: 'node runs/s',
        target: `>= ${TARGET}`,
        ok: rate >= TARGET,
        detail: `${requests} requests in ${secs.toFixed(1)} s, ${CONCURRENCY} in flight, ${(requests / secs).toFixed(0)} req/s`,
      });
    }
  } finally {
    await env.close();
  }
  return results;
};

export default bench;

// The ingest benchmark's client fleet, run in a worker thread so that generating and sending requests
// does not share the server's event loop (real extensions are other machines). `concurrency` keep-alive
// connections each send one request at a time, for `durationMs`.
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import type { JobRecord } from '../lib/sync/schema';
import { request } from './http-client';

export interface LoadParams {
  url: string;
  token: string;
  /** Node runs per request (jobs of up to 10 node runs). */
  nodeRuns: number;
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  /** Distinguishes prompt ids between runs. */
  tag: string;
}

export interface LoadResult {
  requests: number;
  nodeRuns: number;
  seconds: number;
  /** Request latencies in ms, sorted. */
  latencies: number[];
  error?: string;
}

let seq = 0;
export function benchJobs(nodeRuns: number, tag: string): JobRecord[] {
  const perJob = Math.min(10, nodeRuns);
  const out: JobRecord[] = [];
  for (let left = nodeRuns; left > 0; left -= perJob) {
    const t = Date.now();
    const id = ++seq;
    out.push({
      server: 'bench',
      promptId: `bench-${tag}-${id}`,
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

async function run(p: LoadParams): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: p.concurrency });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${p.token}` };
  const post = (body: string) => request('POST', p.url, headers, body, agent);
  const send = async () => {
    const records = benchJobs(p.nodeRuns, p.tag);
    const res = await post(JSON.stringify({ records }));
    if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${res.text.slice(0, 300)}`);
    // A 200 answers for each record: a rejected one would make the figure measure refusals, not storage.
    const applied = (JSON.parse(res.text) as { applied?: number }).applied;
    if (applied !== undefined && applied !== records.length) {
      throw new Error(`ingest applied ${applied} of ${records.length} records: ${res.text.slice(0, 300)}`);
    }
  };
  const latencies: number[] = [];
  const drive = async (ms: number, record: boolean) => {
    const until = performance.now() + ms;
    const connection = async () => {
      while (performance.now() < until) {
        const t = performance.now();
        await send();
        if (record) latencies.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: p.concurrency }, connection));
  };
  // Warm-up: every connection open, the server's JIT and the statement plans settled.
  await drive(p.warmupMs, false);
  const start = performance.now();
  await drive(p.durationMs, true);
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, nodeRuns: latencies.length * p.nodeRuns, seconds, latencies };
}

if (parentPort && workerData) {
  const port = parentPort;
  run(workerData as LoadParams).then(
    (r) => port.postMessage(r),
    (err: unknown) =>
      port.postMessage({
        requests: 0,
        nodeRuns: 0,
        seconds: 0,
        latencies: [],
        error: err instanceof Error ? err.message : String(err),
      } satisfies LoadResult),
  );
}

// p95 latency of GET /v1/jobs with 100,000 jobs (and 300,000 node runs) stored in a real PostgreSQL (a
// throwaway cluster): first pages, status/server/source filters, a time window, and deep cursor paging, over HTTP.
import { percentile, startBenchEnv } from '../server/testing/bench-env';
import { request } from './http-client';
import type { Bench } from './types';

const JOBS = 100_000;
const TARGET_MS = 50;

const bench: Bench = async () => {
  const env = await startBenchEnv();
  try {
    const pool = env.server.db.pool;
    const base = Date.now() - JOBS * 60_000;
    // Seeded in SQL: the bench measures reading, not ingest.
    await pool.query(
      `INSERT INTO jobs (server, prompt_id, status, status_rank, source, own, client_id, queued_by, queued_at,
         started_at, ended_at, updated_at, created_at, progress, outputs)
       SELECT 'gpu-' || (i % 5), md5(i::text)::uuid::text,
         (ARRAY['success','success','success','error','interrupted','running','pending'])[1 + i % 7],
         CASE WHEN i % 7 = 6 THEN 0 WHEN i % 7 = 5 THEN 1 ELSE 2 END,
         CASE WHEN i % 4 = 0 THEN 'api' ELSE 'extension' END, true, 'ext-' || (i % 50), 'bench',
         to_timestamp(($1::bigint + i * 60000) / 1000.0), to_timestamp(($1::bigint + i * 60000 + 500) / 1000.0),
         to_timestamp(($1::bigint + i * 60000 + 9000) / 1000.0), $1::bigint + i * 60000 + 9000,
         to_timestamp(($1::bigint + i * 60000) / 1000.0), 1,
         jsonb_build_object('9', jsonb_build_object('images', jsonb_build_array(
           jsonb_build_object('filename', 'img_' || i || '.png', 'subfolder', '', 'type', 'output'))))
       FROM generate_series(1::bigint, $2::bigint) AS i`,
      [base, JOBS],
    );
    // Three node runs per job, so the class types a listed job carries (its output node's, its running
    // node's) are looked up in a table of realistic size.
    await pool.query(
      `INSERT INTO model_usage_log (server, prompt_id, node_id, class_type, state, cached, started_at, duration_ms)
       SELECT j.server, j.prompt_id, n.id, n.class_type, 'finished', n.id = '4', j.started_at, n.ms
       FROM jobs j CROSS JOIN (VALUES ('4', 'CheckpointLoaderSimple', NULL), ('3', 'KSampler', 7000),
         ('9', 'SaveImage', 40)) AS n(id, class_type, ms)`,
    );
    await pool.query(`UPDATE jobs SET current_node = '3' WHERE status = 'running'`);
    await pool.query('ANALYZE jobs');
    await pool.query('ANALYZE model_usage_log');
    const count = Number((await pool.query('SELECT count(*) FROM jobs')).rows[0].count);
    if (count !== JOBS) throw new Error(`seeded ${count} jobs, expected ${JOBS}`);

    const headers = { authorization: `Bearer ${env.token}` };
    const get = async (qs: string) => {
      const t = performance.now();
      const res = await request('GET', `${env.server.url}/v1/jobs${qs}`, headers);
      const body = JSON.parse(res.text) as { jobs: unknown[]; nextCursor: string | null };
      const ms = performance.now() - t;
      if (res.status !== 200) throw new Error(`GET /v1/jobs${qs} answered ${res.status}`);
      return { ms, body };
    };
    const mid = new Date(base + (JOBS / 2) * 60_000).toISOString();
    const queries = [
      '?limit=50',
      '?limit=50&status=error',
      '?limit=50&status=pending,running',
      '?limit=50&server=gpu-3',
      '?limit=50&source=api',
      `?limit=50&since=${encodeURIComponent(mid)}`,
      '?limit=200',
    ];
    for (const q of queries) await get(q); // warm-up
    const times: number[] = [];
    for (let round = 0; round < 40; round++) {
      for (const q of queries) times.push((await get(q)).ms);
      // Deep paging: follow the cursor for a few pages from the top of a filtered list.
      let cursor: string | null = null;
      for (let page = 0; page < 5; page++) {
        const r = await get(`?limit=50&status=success${cursor ? `&cursor=${cursor}` : ''}`);
        times.push(r.ms);
        cursor = r.body.nextCursor;
      }
    }
    times.sort((a, b) => a - b);
    const p95 = percentile(times, 95);
    return [
      {
        name: `GET /v1/jobs p95, ${JOBS.toLocaleString('en-US')} jobs`,
        value: p95,
        unit: 'ms',
        target: `<= ${TARGET_MS}`,
        ok: p95 <= TARGET_MS,
        detail: `${times.length} requests; p50 ${percentile(times, 50).toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms`,
      },
    ];
  } finally {
    await env.close();
  }
};

export default bench;

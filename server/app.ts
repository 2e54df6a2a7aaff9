// The HTTP surface. Routes stay thin: validation with zod, then one repository call.
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, setCookie } from 'hono/cookie';
import { cors } from 'hono/cors';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { Clock, FetchLike } from '../lib/comfy/types';
import { IngestEnvelopeSchema, type IngestResult, JobRecordSchema } from '../lib/sync/schema';
import type { ServerConfig } from './config';
import { dashboardRoutes } from './dashboard/routes';
import type { Database } from './db/database';
import {
  type AppEnv,
  badInput,
  jsonError,
  readJson,
  readJsonLimited,
  requireScope,
  SESSION_COOKIE,
} from './http';
import type { JobHub } from './hub';
import { IngestWriter } from './ingest-writer';
import type { JobStarter } from './jobs/starter';
import { viewProxy } from './jobs/view';
import { KeyCache } from './key-cache';
import { RateLimiter } from './ratelimit';
import {
  decodeCursor,
  getJob,
  getPreview,
  type JobDto,
  jobsAfterRev,
  type ListFilter,
  listJobs,
  nodeClassStats,
  writeJobGroups,
} from './repo/jobs';
import { findLiveKey } from './repo/keys';

export interface AppDeps {
  db: Database;
  config: ServerConfig;
  hub: JobHub;
  clock: Clock;
  starter: JobStarter;
  fetch: FetchLike;
}

const STATUSES = [
  'pending',
  'running',
  'success',
  'error',
  'interrupted',
  'cancelled',
  'lost',
  'rejected',
] as const;
const timeParam = z.union([
  z
    .string()
    .regex(/^\d{1,16}$/)
    .transform(Number),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);
const FilterQuery = z.strictObject({
  status: z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(STATUSES)))
    .optional(),
  server: z.string().min(1).max(300).optional(),
  source: z.enum(['extension', 'api']).optional(),
  since: timeParam.optional(),
  until: timeParam.optional(),
});
const ListQuery = FilterQuery.extend({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(100).optional(),
});
const StreamQuery = FilterQuery.extend({
  lastEventId: z
    .string()
    .regex(/^\d{1,19}$/)
    .optional(),
});

function toFilter(q: z.infer<typeof FilterQuery>): ListFilter {
  return {
    ...(q.status && { status: q.status }),
    ...(q.server !== undefined && { server: q.server }),
    ...(q.source !== undefined && { source: q.source }),
    ...(q.since !== undefined && { since: q.since }),
    ...(q.until !== undefined && { until: q.until }),
  };
}

function matches(f: ListFilter, j: JobDto): boolean {
  return (
    (!f.status?.length || f.status.includes(j.status)) &&
    (f.server === undefined || f.server === j.server) &&
    (f.source === undefined || f.source === j.source) &&
    (f.since === undefined || j.createdAt >= f.since) &&
    (f.until === undefined || j.createdAt < f.until)
  );
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const { db, config, hub, clock } = deps;
  const app = new Hono<AppEnv>();
  const limiter = new RateLimiter(config.ingestRate, config.ingestBurst, clock);
  const keys = new KeyCache({ load: (hash) => findLiveKey(db.pool, hash), feed: hub, clock });
  const read = requireScope(keys, 'read');
  const writer = new IngestWriter({
    write: (groups) => writeJobGroups(db.pool, groups, { prepared: db.kind === 'postgres' }),
  });

  app.onError((err, c) => {
    // Never echo internals; the message of an unexpected error may contain connection details.
    console.error('request failed:', c.req.method, c.req.path, err instanceof Error ? err.message : err);
    return jsonError(c, 500, 'internal', 'Internal server error');
  });
  app.notFound((c) => jsonError(c, 404, 'not_found', 'No such route'));

  app.get('/healthz', (c) => c.json({ ok: true }));

  // Every answer under /v1 says which server gave it (contract C1): a cheap, explicit mark that a client
  // checks along with the body, so a wrong URL answering 200 is not taken for ours.
  app.use('/v1/*', async (c, next) => {
    c.header('X-ComfyPulse', '1');
    await next();
    if (!c.res.headers.has('X-ComfyPulse')) c.header('X-ComfyPulse', '1');
  });

  // Bearer-key routes may be called from any origin (the extension's pages, scripts): the key is never
  // ambient, so CORS grants nothing a page could not do with the key anyway. The cookie-session routes
  // get no CORS, and the cookie is SameSite=Strict besides.
  const preflight = cors({
    origin: '*',
    allowMethods: ['GET', 'POST'],
    allowHeaders: ['authorization', 'content-type'],
    maxAge: 600,
  });
  // Hono's cors() touches c.res before the handler runs, which makes every response be rebuilt as a full
  // WHATWG Response afterwards (a measurable share of a small ingest request). The simple-request header
  // is set here instead, before the response exists; preflights still go through cors().
  const openCors: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    c.header('Access-Control-Allow-Origin', '*');
    await next();
    // A handler that returned its own Response (the output proxy) did not see the prepared header.
    if (!c.res.headers.has('Access-Control-Allow-Origin')) c.header('Access-Control-Allow-Origin', '*');
  };
  for (const path of ['/v1/ingest', '/v1/jobs', '/v1/jobs/*', '/v1/prompts', '/v1/stats/*'])
    app.use(path, openCors);

  // Dashboard login: trades a read-scoped key for an HttpOnly cookie so EventSource and <img> work.
  app.post('/v1/session', async (c) => {
    const body = await readJson(c);
    if (!body.ok) return body.res;
    const parsed = z.strictObject({ token: z.string().min(1).max(200) }).safeParse(body.value);
    if (!parsed.success) return badInput(c, parsed.error);
    const key = await keys.verify(parsed.data.token);
    if (!key) return jsonError(c, 401, 'unauthorized', 'Unknown or revoked API key');
    if (!key.scopes.includes('read'))
      return jsonError(c, 403, 'forbidden', 'This API key lacks the "read" scope');
    setCookie(c, SESSION_COOKIE, parsed.data.token, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/v1',
      maxAge: 12 * 3600,
      secure: new URL(c.req.url).protocol === 'https:',
    });
    return c.json({ name: key.name, scopes: key.scopes });
  });
  app.delete('/v1/session', (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: '/v1' });
    return c.json({ ok: true });
  });
  app.get('/v1/session', read, (c) => {
    const key = c.get('key');
    return c.json({ name: key.name, scopes: key.scopes });
  });

  app.post(
    '/v1/ingest',
    requireScope(keys, 'ingest'),
    async (c, next) => {
      const wait = limiter.take(String(c.get('key').id));
      if (wait > 0) {
        c.header('Retry-After', String(wait));
        return jsonError(c, 429, 'rate_limited', `Too many ingest requests; retry in ${wait}s`);
      }
      await next();
    },
    async (c) => {
      const body = await readJsonLimited(c, config.ingestMaxBytes);
      if (!body.ok) return body.res;
      const envelope = IngestEnvelopeSchema.safeParse(body.value);
      if (!envelope.success) return badInput(c, envelope.error);
      const { records } = envelope.data;
      if (records.length > config.ingestMaxRecords) {
        return jsonError(
          c,
          413,
          'too_large',
          `A batch holds at most ${config.ingestMaxRecords} records (got ${records.length})`,
          { maxRecords: config.ingestMaxRecords, maxBytes: config.ingestMaxBytes },
        );
      }
      // Each record is judged on its own (contract C1), so one bad record cannot sink its batch.
      const key = c.get('key');
      const results: IngestResult[] = [];
      const writes: Promise<{ i: number; applied: number } | { revoked: true }>[] = [];
      records.forEach((raw, i) => {
        const parsed = JobRecordSchema.safeParse(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const path = [`records[${i}]`, ...(issue?.path.map(String) ?? [])].join('.');
          results[i] = {
            status: 'rejected',
            code: 'invalid',
            message: `${path}: ${issue?.message ?? 'invalid'}`,
          };
        } else if (body.text.includes('\\u0000') && containsNul(parsed.data)) {
          // PostgreSQL text and jsonb cannot hold U+0000; JSON carries it only as the escape \u0000.
          results[i] = {
            status: 'rejected',
            code: 'unstorable',
            message: `records[${i}]: strings must not contain NUL (U+0000) characters`,
          };
        } else {
          // One group per record: the writer still commits concurrent groups in one statement, and
          // answers each with its own applied count, which is this record's verdict.
          const write = { ...parsed.data, source: 'extension' as const, queuedBy: key.name };
          writes.push(
            writer.write(key.id, [write]).then((o) => ('revoked' in o ? o : { i, applied: o.applied })),
          );
        }
      });
      const outcomes = await Promise.all(writes);
      // The key was revoked after the cached check but before the write: nothing was written.
      if (outcomes.some((o) => 'revoked' in o)) {
        keys.invalidate(String(key.id));
        return jsonError(c, 401, 'unauthorized', 'Unknown or revoked API key');
      }
      for (const o of outcomes)
        if ('i' in o) results[o.i] = { status: o.applied > 0 ? 'applied' : 'unchanged' };
      return c.json({
        accepted: results.filter((r) => r.status !== 'rejected').length,
        applied: results.filter((r) => r.status === 'applied').length,
        results,
      });
    },
  );

  app.get('/v1/jobs', read, async (c) => {
    const q = ListQuery.safeParse(c.req.query());
    if (!q.success) return badInput(c, q.error);
    const cursor = q.data.cursor !== undefined ? decodeCursor(q.data.cursor) : null;
    if (q.data.cursor !== undefined && !cursor) return jsonError(c, 400, 'bad_request', 'Invalid cursor');
    return c.json(await listJobs(db.pool, toFilter(q.data), q.data.limit, cursor));
  });

  const JobParams = z.strictObject({ server: z.string().min(1).max(300).optional() });
  app.get('/v1/jobs/:id', read, async (c) => {
    const q = JobParams.safeParse(c.req.query());
    if (!q.success) return badInput(c, q.error);
    const job = await getJob(db.pool, c.req.param('id'), q.data.server);
    return job ? c.json(job) : jsonError(c, 404, 'not_found', 'No such job');
  });

  app.get('/v1/jobs/:id/preview', read, async (c) => {
    const job = await getJob(db.pool, c.req.param('id'), c.req.query('server'));
    const preview = job && (await getPreview(db.pool, job.server, job.promptId));
    if (!preview) return jsonError(c, 404, 'not_found', 'No preview for this job');
    const mime = preview.mime === 'image/png' ? 'image/png' : 'image/jpeg';
    return c.body(new Uint8Array(preview.bytes), 200, { 'content-type': mime, 'cache-control': 'no-store' });
  });

  app.get('/v1/jobs/:id/outputs/:node/:index', read, (c) => viewProxy(c, deps));

  app.get('/v1/stats/nodes', read, async (c) => {
    const q = z
      .strictObject({
        since: timeParam.optional(),
        limit: z.coerce.number().int().min(1).max(200).default(20),
      })
      .safeParse(c.req.query());
    if (!q.success) return badInput(c, q.error);
    const since = q.data.since ?? clock.now() - 7 * 24 * 3600 * 1000;
    return c.json({ since, classes: await nodeClassStats(db.pool, since, q.data.limit) });
  });

  app.get('/v1/stream', read, async (c) => {
    const q = StreamQuery.safeParse(c.req.query());
    if (!q.success) return badInput(c, q.error);
    const filter = toFilter(q.data);
    const lastId = c.req.header('last-event-id') ?? q.data.lastEventId;
    const after = lastId && /^\d{1,19}$/.test(lastId) ? Number(lastId) : null;
    return streamSSE(c, async (stream) => {
      // Highest rev sent per job: drops duplicates between catch-up and live events.
      const sent = new Map<string, number>();
      let chain: Promise<unknown> = Promise.resolve();
      const send = (job: JobDto) => {
        const k = `${job.server}\u0000${job.promptId}`;
        if ((sent.get(k) ?? -1) >= job.rev || !matches(filter, job)) return;
        // Live changes arrive in rev order per job; the map only has to bridge catch-up and live, so a
        // stream open for days does not keep one entry per job ever seen.
        if (sent.size >= 10_000) sent.clear();
        sent.set(k, job.rev);
        chain = chain.then(() =>
          stream.writeSSE({ event: 'job', id: String(job.rev), data: JSON.stringify(job) }).catch(() => {}),
        );
      };
      const buffered: JobDto[] = [];
      let live = false;
      const unsubscribe = hub.subscribe((job) => (live ? send(job) : buffered.push(job)));
      let closed = false;
      stream.onAbort(() => {
        closed = true;
        unsubscribe();
      });
      if (after !== null) for (const job of await jobsAfterRev(db.pool, after, 1000)) send(job);
      live = true;
      for (const job of buffered) send(job);
      chain = chain.then(() => stream.writeSSE({ event: 'ready', data: '{}' }));
      while (!closed) {
        await stream.sleep(15_000);
        if (!closed) chain = chain.then(() => stream.writeSSE({ event: 'ping', data: '{}' }).catch(() => {}));
      }
      unsubscribe();
    });
  });

  app.post(
    '/v1/prompts',
    requireScope(keys, 'prompts'),
    bodyLimit({
      maxSize: config.promptMaxBytes,
      onError: (c) => jsonError(c, 413, 'too_large', `Body exceeds ${config.promptMaxBytes} bytes`),
    }),
    async (c) => {
      const body = await readJson(c);
      if (!body.ok) return body.res;
      const parsed = SubmitSchema.safeParse(body.value);
      if (!parsed.success) return badInput(c, parsed.error);
      const result = await deps.starter.submit({ ...parsed.data, queuedBy: c.get('key').name });
      return c.json(result.body, result.status);
    },
  );

  app.route('/', dashboardRoutes());
  return app;
}

function containsNul(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (Array.isArray(v)) return v.some(containsNul);
  if (v && typeof v === 'object')
    return Object.entries(v).some(([k, x]) => k.includes('\u0000') || containsNul(x));
  return false;
}

export const SubmitSchema = z.strictObject({
  server: z.string().min(1).max(64),
  prompt: z.record(
    z.string().min(1).max(200),
    z.looseObject({ class_type: z.string().min(1).max(200), inputs: z.record(z.string(), z.unknown()) }),
  ),
  webhook: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
  /** Forwarded to ComfyUI as extra_data.preview_method so the tracker receives previews. */
  previewMethod: z.enum(['none', 'auto', 'latent2rgb', 'taesd', 'default']).optional(),
});
export type SubmitInput = z.infer<typeof SubmitSchema>;

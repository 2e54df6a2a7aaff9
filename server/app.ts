// The HTTP surface. Routes stay thin: validation with zod, then one repository call.
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { cors } from 'hono/cors';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { Clock, FetchLike } from '../lib/comfy/types';
import { MAX_EPOCH_MS, MAX_SERVER } from '../lib/sync/schema';
import type { ServerConfig } from './config';
import { dashboardRoutes } from './dashboard/routes';
import type { Database } from './db/database';
import {
  type AppEnv,
  arrivedOverTls,
  badInput,
  type Credentials,
  clientAddress,
  jsonError,
  readJson,
  requireScope,
  SESSION_COOKIE,
  tooMany,
} from './http';
import type { JobHub } from './hub';
import { handleIngest } from './ingest';
import { IngestWriter } from './ingest-writer';
import type { JobStarter } from './jobs/starter';
import { viewProxy } from './jobs/view';
import { refusedUrl } from './jobs/webhook-guard';
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
  serversSeen,
  writeJobGroups,
} from './repo/jobs';
import { findLiveKey } from './repo/keys';
import { createSession, deleteSession, sessionKey } from './repo/sessions';
import type { StreamRegistry } from './streams';
import { isStorableText, storableText } from './text';

export interface AppDeps {
  db: Database;
  config: ServerConfig;
  hub: JobHub;
  clock: Clock;
  starter: JobStarter;
  fetch: FetchLike;
  streams: StreamRegistry;
}

const DAY_MS = 24 * 3600 * 1000;
/** How long a dashboard session lasts. */
export const SESSION_TTL_MS = 12 * 3600 * 1000;
/** A sign-in body is one short token; anything larger is refused before it is read. */
const SESSION_BODY_MAX = 4096;
/** How long a client turned away by the stream cap is asked to wait. */
const STREAM_RETRY_AFTER_S = 30;

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
// Times reach to_timestamp(), which refuses instants past PostgreSQL's range: bounded to JavaScript's.
const timeParam = z
  .union([
    z
      .string()
      .regex(/^\d{1,16}$/)
      .transform(Number),
    z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
  ])
  .pipe(z.number().min(-MAX_EPOCH_MS).max(MAX_EPOCH_MS));
const serverParam = storableText(MAX_SERVER).min(1);
const FilterQuery = z.strictObject({
  status: z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(STATUSES)))
    .optional(),
  server: serverParam.optional(),
  source: z.enum(['extension', 'api']).optional(),
  since: timeParam.optional(),
  until: timeParam.optional(),
});
const ListQuery = FilterQuery.extend({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(100).optional(),
});
// Change numbers are bigint; 15 digits stay exact as a JavaScript number and far inside bigint.
const EVENT_ID = /^\d{1,15}$/;
const StreamQuery = FilterQuery.extend({
  lastEventId: z.string().regex(EVENT_ID).optional(),
});
/** A job id in the path: refused when the database could not hold it, so it can name no job. */
const JobPath = z.strictObject({ id: storableText(1000).min(1) });
const JobQuery = z.strictObject({ server: serverParam.optional() });

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
  const { db, config, hub, clock, streams } = deps;
  const app = new Hono<AppEnv>();
  const ingestLimiter = new RateLimiter(config.ingestRate, config.ingestBurst, clock);
  const promptLimiter = new RateLimiter(config.promptRate, config.promptBurst, clock);
  const signinLimiter = new RateLimiter(config.signinPerMinute / 60, config.signinPerMinute, clock);
  const keys = new KeyCache({ load: (hash) => findLiveKey(db.pool, hash), feed: hub, clock });
  const creds: Credentials = { verify: (t) => keys.verify(t), session: (id) => sessionKey(db.pool, id) };
  const read = requireScope(creds, 'read');
  const writer = new IngestWriter({
    write: (groups) => writeJobGroups(db.pool, groups, { prepared: db.kind === 'postgres' }),
  });
  const perKey =
    (limiter: RateLimiter, what: string): MiddlewareHandler<AppEnv> =>
    async (c, next) => {
      const wait = limiter.take(String(c.get('key').id));
      if (wait > 0) return tooMany(c, wait, `Too many ${what} requests; retry in ${wait}s`);
      await next();
    };

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
    exposeHeaders: ['x-comfypulse', 'retry-after'],
    maxAge: 600,
  });
  // Hono's cors() touches c.res before the handler runs, which makes every response be rebuilt as a full
  // WHATWG Response afterwards (a measurable share of a small ingest request). The simple-request headers
  // are set here instead, before the response exists; preflights still go through cors().
  const openCors: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Expose-Headers', 'x-comfypulse, retry-after');
    await next();
    // A handler that returned its own Response (the output proxy) did not see the prepared headers.
    if (!c.res.headers.has('Access-Control-Allow-Origin')) {
      c.header('Access-Control-Allow-Origin', '*');
      c.header('Access-Control-Expose-Headers', 'x-comfypulse, retry-after');
    }
  };
  for (const path of ['/v1/ingest', '/v1/jobs', '/v1/jobs/*', '/v1/prompts', '/v1/stats/*'])
    app.use(path, openCors);

  // Dashboard sign-in: trades a read-scoped key for a server-side session, whose random id is the
  // HttpOnly cookie (so EventSource and <img> work); the key itself never goes into the cookie.
  app.post(
    '/v1/session',
    async (c, next) => {
      const wait = signinLimiter.take(clientAddress(c, config.trustProxy));
      if (wait > 0) return tooMany(c, wait, `Too many sign-in attempts; retry in ${wait}s`);
      await next();
    },
    bodyLimit({
      maxSize: SESSION_BODY_MAX,
      onError: (c) => jsonError(c, 413, 'too_large', `Body exceeds ${SESSION_BODY_MAX} bytes`),
    }),
    async (c) => {
      const body = await readJson(c);
      if (!body.ok) return body.res;
      const parsed = z.strictObject({ token: z.string().min(1).max(200) }).safeParse(body.value);
      if (!parsed.success) return badInput(c, parsed.error);
      const key = await keys.verify(parsed.data.token);
      if (!key) return jsonError(c, 401, 'unauthorized', 'Unknown or revoked API key');
      if (!key.scopes.includes('read'))
        return jsonError(c, 403, 'forbidden', 'This API key lacks the "read" scope');
      const id = await createSession(db.pool, key.id, SESSION_TTL_MS);
      setCookie(c, SESSION_COOKIE, id, {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/v1',
        maxAge: SESSION_TTL_MS / 1000,
        secure: arrivedOverTls(c, config.trustProxy),
      });
      return c.json({ name: key.name, scopes: key.scopes });
    },
  );
  app.delete('/v1/session', async (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    if (id) await deleteSession(db.pool, id);
    deleteCookie(c, SESSION_COOKIE, { path: '/v1', secure: arrivedOverTls(c, config.trustProxy) });
    return c.json({ ok: true });
  });
  app.get('/v1/session', read, (c) => {
    const key = c.get('key');
    return c.json({ name: key.name, scopes: key.scopes });
  });

  app.post('/v1/ingest', requireScope(creds, 'ingest'), perKey(ingestLimiter, 'ingest'), (c) =>
    handleIngest(c, { config, clock, writer, onRevoked: (id) => keys.invalidate(String(id)) }),
  );

  app.get('/v1/jobs', read, async (c) => {
    const q = ListQuery.safeParse(c.req.query());
    if (!q.success) return badInput(c, q.error);
    const cursor = q.data.cursor !== undefined ? decodeCursor(q.data.cursor) : null;
    if (q.data.cursor !== undefined && !cursor) return jsonError(c, 400, 'bad_request', 'Invalid cursor');
    return c.json(await listJobs(db.pool, toFilter(q.data), q.data.limit, cursor));
  });

  /** The job a path names, or the 400/404 answer. */
  const findJob = async (c: Context<AppEnv>) => {
    const path = JobPath.safeParse({ id: c.req.param('id') });
    if (!path.success) return { res: badInput(c, path.error) };
    const q = JobQuery.safeParse({ server: c.req.query('server') });
    if (!q.success) return { res: badInput(c, q.error) };
    const job = await getJob(db.pool, path.data.id, q.data.server);
    return job ? { job } : { res: jsonError(c, 404, 'not_found', 'No such job') };
  };

  app.get('/v1/jobs/:id', read, async (c) => {
    const q = JobQuery.safeParse(c.req.query());
    if (!q.success) return badInput(c, q.error);
    const found = await findJob(c);
    return 'res' in found ? found.res : c.json(found.job);
  });

  app.get('/v1/jobs/:id/preview', read, async (c) => {
    const found = await findJob(c);
    if ('res' in found) return found.res;
    const preview = await getPreview(db.pool, found.job.server, found.job.promptId);
    if (!preview) return jsonError(c, 404, 'not_found', 'No preview for this job');
    const mime = preview.mime === 'image/png' ? 'image/png' : 'image/jpeg';
    return c.body(new Uint8Array(preview.bytes), 200, { 'content-type': mime, 'cache-control': 'no-store' });
  });

  app.get('/v1/jobs/:id/outputs/:node/:index', read, async (c) => {
    const path = JobPath.safeParse({ id: c.req.param('id') });
    if (!path.success) return badInput(c, path.error);
    const q = JobQuery.safeParse({ server: c.req.query('server') });
    if (!q.success) return badInput(c, q.error);
    return viewProxy(c, deps, path.data.id, q.data.server);
  });

  app.get('/v1/stats/nodes', read, async (c) => {
    const q = z
      .strictObject({
        since: timeParam.optional(),
        limit: z.coerce.number().int().min(1).max(200).default(20),
        server: serverParam.optional(),
      })
      .safeParse(c.req.query());
    if (!q.success) return badInput(c, q.error);
    const since = q.data.since ?? clock.now() - 7 * DAY_MS;
    const classes = await nodeClassStats(db.pool, {
      sinceMs: since,
      limit: q.data.limit,
      ...(q.data.server !== undefined && { server: q.data.server }),
    });
    return c.json({ since, classes });
  });

  app.get('/v1/stats/servers', read, async (c) => {
    const q = z
      .strictObject({
        since: timeParam.optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      })
      .safeParse(c.req.query());
    if (!q.success) return badInput(c, q.error);
    const since = q.data.since ?? clock.now() - 30 * DAY_MS;
    return c.json({ since, servers: await serversSeen(db.pool, since, q.data.limit) });
  });

  app.get('/v1/stream', read, async (c) => {
    const q = StreamQuery.safeParse(c.req.query());
    if (!q.success) return badInput(c, q.error);
    const filter = toFilter(q.data);
    const lastId = c.req.header('last-event-id') ?? q.data.lastEventId;
    const after = lastId && EVENT_ID.test(lastId) ? Number(lastId) : null;
    const key = c.get('key');
    if (streams.ending) return jsonError(c, 503, 'unavailable', 'This server is shutting down');
    const handle = streams.open(key.id);
    if (!handle) {
      return tooMany(
        c,
        STREAM_RETRY_AFTER_S,
        `This API key has ${config.streamsPerKey} streams open on this server (STREAMS_PER_KEY)`,
      );
    }
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
        handle.release();
      });
      try {
        if (after !== null) for (const job of await jobsAfterRev(db.pool, after, 1000)) send(job);
        live = true;
        for (const job of buffered) send(job);
        chain = chain.then(() => stream.writeSSE({ event: 'ready', data: '{}' }));
        while (!closed && !handle.ending) {
          await handle.sleep(15_000);
          if (!closed && !handle.ending)
            chain = chain.then(() => stream.writeSSE({ event: 'ping', data: '{}' }).catch(() => {}));
        }
        // Shutting down: what was queued is written, then the response ends normally.
        await chain.catch(() => {});
      } finally {
        unsubscribe();
        handle.release();
      }
    });
  });

  app.post(
    '/v1/prompts',
    requireScope(creds, 'prompts'),
    perKey(promptLimiter, 'job start'),
    bodyLimit({
      maxSize: config.promptMaxBytes,
      onError: (c) => jsonError(c, 413, 'too_large', `Body exceeds ${config.promptMaxBytes} bytes`),
    }),
    async (c) => {
      const body = await readJson(c);
      if (!body.ok) return body.res;
      const parsed = SubmitSchema.safeParse(body.value);
      if (!parsed.success) return badInput(c, parsed.error);
      const { webhook } = parsed.data;
      const refused =
        webhook &&
        refusedUrl(webhook, {
          allowPrivate: config.webhookAllowPrivate,
          allowedHosts: config.webhookAllowedHosts,
        });
      if (refused) {
        return jsonError(c, 400, 'bad_request', `webhook: this server does not call ${refused}`, {
          issues: [{ path: 'webhook', message: refused, code: 'refused_destination' }],
        });
      }
      const result = await deps.starter.submit({ ...parsed.data, queuedBy: c.get('key').name });
      return c.json(result.body, result.status);
    },
  );

  app.route('/', dashboardRoutes());
  return app;
}

/** A display label: trimmed, one line (control characters refused), stored as text. */
const label = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'must be one line without control characters')
    .refine(isStorableText, 'must not contain unpaired UTF-16 surrogates');

export const SubmitSchema = z.strictObject({
  server: z.string().min(1).max(64),
  prompt: z.record(
    z.string().min(1).max(200),
    z.looseObject({ class_type: z.string().min(1).max(200), inputs: z.record(z.string(), z.unknown()) }),
  ),
  // Normalised to the parsed URL (control characters percent-encoded), which is what is stored and called.
  webhook: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .transform((u) => new URL(u).href)
    .optional(),
  /** Forwarded to ComfyUI as extra_data.preview_method so the tracker receives previews. */
  previewMethod: z.enum(['none', 'auto', 'latent2rgb', 'taesd', 'default']).optional(),
  /** What people know the job by: the workflow's name (shown on the dashboard, as text). */
  workflowName: label(200).optional(),
  /** Who is calling, in a word: "n8n", "nightly-renders" (shown on the dashboard next to the key's name). */
  client: label(64).optional(),
});
export type SubmitInput = z.infer<typeof SubmitSchema>;

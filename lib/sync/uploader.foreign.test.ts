// The sync URL points at something that is not our server (a typo, an nginx, a login page, another app),
// for a while, and is then corrected. Real HTTP servers on 127.0.0.1 give each answer; the uploader's
// clock is fake, so its backoff is checked exactly. Whatever answered, no record may leave the outbox
// until our server acknowledged it, and every record must arrive exactly once after the correction.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, seededRandom } from '../comfy/testing/fake-clock';
import type { SyncOutbox } from './outbox';
import type { SyncProblem } from './problem';
import { type Endpoint, fakeIngest, memoryOutbox, nginxPage, OURS, record, startEndpoint } from './testing';
import { type SyncTarget, SyncUploader } from './uploader';

const RECORDS = 8;
const BASE_MS = 2000;
const SHORT_TIMEOUT_MS = 400;

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const lookAlike: Handler = (_req, res, body) => {
  // Another app that happens to answer JSON in our shape, but without our mark.
  const n = (JSON.parse(body) as { records: unknown[] }).records.length;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ accepted: n, applied: n, results: Array(n).fill({ status: 'applied' }) }));
};

interface Case {
  name: string;
  /** Builds the wrong target; `url` is a fresh endpoint's base URL answering with `handler`. */
  handler?: Handler;
  url?: (base: string) => string;
  problem: (base: string) => SyncProblem;
  /** Records per request in the first attempt (a 413 splits down to one; nothing else splits). */
  firstAttempt: number[];
  /** The uploader's per-request timeout; generous unless the case is about it (a loaded machine is slow). */
  timeoutMs?: number;
}

const CASES: Case[] = [
  {
    name: 'nginx answering 400 with its HTML error page',
    handler: (_q, res) => nginxPage(res, 400, 'Bad Request'),
    problem: () => ({
      kind: 'not_comfypulse',
      status: 400,
      contentType: 'text/html',
      software: 'nginx/1.24.0',
    }),
    firstAttempt: [8],
  },
  {
    name: 'nginx answering 413 (its body size limit)',
    handler: (_q, res) => nginxPage(res, 413, 'Request Entity Too Large'),
    problem: () => ({
      kind: 'not_comfypulse',
      status: 413,
      contentType: 'text/html',
      software: 'nginx/1.24.0',
    }),
    firstAttempt: [8, 4, 2, 1],
  },
  {
    name: 'another app answering 404 in JSON',
    handler: (_q, res) => {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'x-powered-by': 'Express' });
      res.end('{"error":"Not Found","message":"Cannot POST /v1/ingest"}');
    },
    problem: () => ({
      kind: 'not_comfypulse',
      status: 404,
      contentType: 'application/json',
      software: 'Express',
    }),
    firstAttempt: [8],
  },
  {
    name: 'a static file server answering 405',
    handler: (_q, res) => {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' });
      res.end('Method Not Allowed');
    },
    problem: () => ({ kind: 'not_comfypulse', status: 405, contentType: 'text/plain' }),
    firstAttempt: [8],
  },
  {
    name: 'a crashing app answering 500 in HTML',
    handler: (_q, res) => {
      res.writeHead(500, { 'content-type': 'text/html; charset=UTF-8', server: 'Apache/2.4.57 (Debian)' });
      res.end('<h1>Internal Server Error</h1>');
    },
    problem: () => ({
      kind: 'not_comfypulse',
      status: 500,
      contentType: 'text/html',
      software: 'Apache/2.4.57 (Debian)',
    }),
    firstAttempt: [8],
  },
  {
    name: 'nginx answering 502 (its upstream is down)',
    handler: (_q, res) => nginxPage(res, 502, 'Bad Gateway'),
    problem: () => ({
      kind: 'not_comfypulse',
      status: 502,
      contentType: 'text/html',
      software: 'nginx/1.24.0',
    }),
    firstAttempt: [8],
  },
  {
    name: 'an app answering 200 with our JSON shape but without our mark',
    handler: lookAlike,
    problem: () => ({ kind: 'not_comfypulse', status: 200, contentType: 'application/json' }),
    firstAttempt: [8],
  },
  {
    name: 'a redirect to a login page',
    handler: (req, res) => {
      if (req.url === '/login') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<form action="/login" method="post"><input name="password" type="password"></form>');
      } else {
        res.writeHead(302, { location: '/login' });
        res.end();
      }
    },
    problem: (base) => ({
      kind: 'not_comfypulse',
      status: 200,
      contentType: 'text/html',
      redirectedTo: `${base}/login`,
    }),
    firstAttempt: [8],
  },
  {
    name: 'a server that accepts the request and never answers (timeout)',
    handler: () => {},
    problem: (base) => ({ kind: 'timeout', origin: base, afterMs: SHORT_TIMEOUT_MS }),
    timeoutMs: SHORT_TIMEOUT_MS,
    firstAttempt: [8],
  },
  {
    name: 'a TLS handshake with a server that speaks plain HTTP',
    handler: (_q, res) => res.end(),
    url: (base) => base.replace('http:', 'https:'),
    problem: (base) => ({ kind: 'unreachable', origin: base.replace('http:', 'https:') }),
    firstAttempt: [8],
  },
];

describe('SyncUploader against a sync URL that is not our server', () => {
  const open: Endpoint[] = [];
  let outbox: SyncOutbox | undefined;
  afterEach(async () => {
    outbox?.close();
    await Promise.all(open.splice(0).map((e) => e.close()));
  });

  async function setup(handler: Handler, timeoutMs = 15_000) {
    const wrong = await startEndpoint(handler);
    const ingest = fakeIngest();
    // Our server, behind real HTTP too, so the correction is a real change of address.
    const right = await startEndpoint((_req, res, body) => {
      void ingest.fetch('/v1/ingest', { method: 'POST', body }).then(async (r) => {
        res.writeHead(r.status, Object.fromEntries(r.headers));
        res.end(await r.text());
      });
    });
    open.push(wrong, right);
    const clock = new FakeClock();
    outbox = memoryOutbox();
    let target: SyncTarget = { url: wrong.url, apiKey: 'cpk_test' };
    const sizes: number[] = [];
    const uploader = new SyncUploader({
      outbox,
      getTarget: () => target,
      fetch: (url, init) => {
        sizes.push((JSON.parse(String(init?.body)) as { records: unknown[] }).records.length);
        return fetch(url, init);
      },
      clock,
      random: seededRandom(3),
      batchSize: RECORDS,
      baseDelayMs: BASE_MS,
      maxDelayMs: 60_000,
      timeoutMs,
    });
    /** Runs `n` attempts (the first at once, then each scheduled retry); returns the waits before each. */
    const attempts = async (n: number) => {
      const waits: number[] = [];
      for (let i = 0; i < n && clock.pending > 0; i++) {
        waits.push(clock.runNext()!);
        await uploader.settled();
      }
      return waits;
    };
    return {
      wrong,
      right,
      ingest,
      clock,
      outbox,
      uploader,
      sizes,
      attempts,
      setUrl: (url: string) => {
        target = { url, apiKey: 'cpk_test' };
      },
    };
  }

  it.each(CASES)('$name: keeps every record, backs off, says what answered', async (c) => {
    const s = await setup(c.handler ?? (() => {}), c.timeoutMs);
    const wrongUrl = c.url ? c.url(s.wrong.url) : s.wrong.url;
    s.setUrl(wrongUrl);
    for (let i = 0; i < RECORDS; i++) await s.outbox.enqueueJobChange(record(`job-${i}`, 1000 + i));
    s.uploader.kick();

    const waits = await s.attempts(4);
    expect(waits).toHaveLength(4);
    // Exponential backoff with jitter after the first attempt: each wait in [exp/2, exp].
    waits.slice(1).forEach((w, i) => {
      const exp = BASE_MS * 2 ** i;
      expect(w).toBeGreaterThanOrEqual(exp / 2);
      expect(w).toBeLessThanOrEqual(exp);
    });
    // Nothing is judged record by record: the first attempt sent the batch whole (a 413 halves it),
    // and each retry sends what the first attempt ended with.
    const retries = s.sizes.slice(c.firstAttempt.length);
    expect(s.sizes.slice(0, c.firstAttempt.length)).toEqual(c.firstAttempt);
    expect(new Set(retries).size).toBeLessThanOrEqual(1);
    if (!c.url) expect(s.wrong.hits.length).toBeGreaterThanOrEqual(4);

    const status = await s.outbox.getSyncStatus();
    expect(status).toMatchObject({ pending: RECORDS, deadLetters: 0, lastSyncAt: null });
    expect(status.problem).toEqual(c.problem(s.wrong.url));
    expect(JSON.stringify(status.problem)).not.toContain('cpk_test');

    // Corrected: the next attempt (at once, the target changed) drains the outbox, each record once.
    s.setUrl(s.right.url);
    s.uploader.retryNow();
    await s.attempts(10);
    expect(await s.outbox.getSyncStatus()).toMatchObject({ pending: 0, deadLetters: 0, problem: null });
    expect(s.ingest.received.map((r) => r.promptId).sort()).toEqual(
      Array.from({ length: RECORDS }, (_, i) => `job-${i}`).sort(),
    );
  });

  it('keeps every record while nothing listens at all (connection refused)', async () => {
    const s = await setup(() => {});
    const gone = s.wrong.url;
    await s.wrong.close();
    for (let i = 0; i < 3; i++) await s.outbox.enqueueJobChange(record(`job-${i}`, 1));
    s.uploader.kick();
    await s.attempts(3);
    expect(await s.outbox.getSyncStatus()).toMatchObject({
      pending: 3,
      deadLetters: 0,
      problem: { kind: 'unreachable', origin: gone },
    });
  });

  it('trusts the mark only with our body: a marked 200 in another shape keeps every record', async () => {
    const s = await setup((_q, res) => {
      res.writeHead(200, { ...OURS, 'content-type': 'application/json' });
      res.end('{"accepted":2,"applied":2}');
    });
    for (let i = 0; i < 2; i++) await s.outbox.enqueueJobChange(record(`job-${i}`, 1));
    s.uploader.kick();
    await s.attempts(2);
    expect(await s.outbox.getSyncStatus()).toMatchObject({
      pending: 2,
      deadLetters: 0,
      problem: { kind: 'incompatible', status: 200 },
    });
  });
});

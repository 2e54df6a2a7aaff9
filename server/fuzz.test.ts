// Arbitrary strings through every input that reaches SQL, on PostgreSQL and on PGlite: record fields and
// whole bodies of POST /v1/ingest, job start bodies (whose rejection the server itself stores), query
// parameters, path segments, Last-Event-ID, the session cookie and the Authorization header. The server
// must never answer 500: bad input gets a 4xx, and record text it stores comes back as PostgreSQL holds it
// (U+0000 and lone surrogates as U+FFFD).
import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../lib/sync/schema';
import { type Simulator, startSimulator } from '../sim';
import {
  DB_KINDS,
  openTestDatabase,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from './testing/databases';
import { makeRecord } from './testing/records';
import { storableJson, storableString } from './text';

/** One character, often one PostgreSQL refuses or one that is special to JSON, SQL or URLs. */
const nastyChar = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 4 },
  { arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      '\u0000',
      '\\',
      '"',
      "'",
      '%',
      '\u2028',
      '\uFFFF',
      '$1',
      '::',
      ';',
      '\u{1F600}',
    ),
    weight: 2,
  },
);
const nasty = (maxLength = 24) => fc.string({ unit: nastyChar, maxLength });

/** Percent-encodes every UTF-16 unit, lone surrogates as the (invalid) UTF-8 bytes they would have. */
function encodeAny(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return out;
}
/** A URL component: encoded arbitrary text, mixed with malformed or dangerous escapes. */
const urlPart = fc
  .array(
    fc.oneof(
      nasty(12).map(encodeAny),
      fc.constantFrom('%', '%0', '%zz', '%00', '%C0%80', '%ED%A0%80', '%FF', '..', '%2F', '+'),
    ),
    { maxLength: 4 },
  )
  .map((parts) => parts.join(''));
/**
 * GET with the path and header bytes exactly as given (fetch would normalise the URL and refuses some
 * header values); a stream that opens is cut at once.
 */
function rawGet(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const { host, pathname } = new URL(url);
    const req = http.request({
      host: host.split(':')[0],
      port: host.split(':')[1],
      path: url.slice(url.indexOf(pathname)),
      headers,
    });
    req.on('response', (res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', reject);
    req.end();
  });
}
/** Header values HTTP can carry: Latin-1 without control characters. */
const headerValue = fc.string({
  unit: fc
    .integer({ min: 0x20, max: 0xff })
    .filter((c) => c !== 0x7f)
    .map((c) => String.fromCharCode(c)),
  maxLength: 40,
});

type Setter = (r: JobRecord, v: string) => void;
const STRING_FIELDS: [string, Setter][] = [
  ['server', (r, v) => (r.server = v)],
  ['promptId', (r, v) => (r.promptId = v)],
  ['clientId', (r, v) => (r.clientId = v)],
  ['user', (r, v) => (r.user = v)],
  ['currentNode', (r, v) => (r.currentNode = v)],
  ['error.message', (r, v) => (r.error = { message: v, traceback: [] })],
  ['error.traceback', (r, v) => (r.error = { message: 'x', traceback: [v, v] })],
  ['error.nodeType', (r, v) => (r.error = { message: 'x', traceback: [], nodeType: v })],
  ['nodes.nodeId', (r, v) => (r.nodes[0]!.nodeId = v)],
  ['nodes.classType', (r, v) => (r.nodes[0]!.classType = v)],
  ['nodes.displayNodeId', (r, v) => (r.nodes[0]!.displayNodeId = v)],
  ['outputs key', (r, v) => (r.outputs = { [v]: { images: [] } })],
  ['outputs value', (r, v) => (r.outputs = { '9': { [v]: [v, { v }] } })],
];

describe.each(DB_KINDS)('arbitrary input never gets a 500 on %s', (kind) => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let sim: Simulator;
  let ingestKey: string;
  let readKey: string;
  let promptKey: string;
  const statuses = new Map<number, number>();
  const seen = (status: number) => {
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    return status;
  };

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, originCheck: true });
    tdb = await openTestDatabase(kind);
    srv = await startTestServer(tdb.db, {
      ingestBurst: 1e9,
      ingestRate: 1e9,
      promptBurst: 1e9,
      promptRate: 1e9,
      signinPerMinute: 1e9,
      comfyServers: { sim: { url: sim.url } },
    });
    ingestKey = await srv.token(['ingest']);
    readKey = await srv.token(['read']);
    promptKey = await srv.token(['prompts']);
  }, 60_000);
  afterAll(async () => {
    await srv?.close();
    await tdb?.dispose();
    await sim?.close();
    // Which answers the fuzz produced (a run that only ever saw 400 would test little).
    console.log(`${kind}: status counts`, Object.fromEntries(statuses));
  });

  const ingest = (body: string) =>
    srv.request('/v1/ingest', {
      method: 'POST',
      token: ingestKey,
      body,
      headers: { 'content-type': 'application/json' },
    });

  it('stores or rejects every record whose text fields hold arbitrary strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...STRING_FIELDS), nasty()), { minLength: 1, maxLength: 3 }),
        async (mutations) => {
          const record = makeRecord();
          for (const [[, set], value] of mutations) set(record, value);
          const res = await ingest(JSON.stringify({ records: [record] }));
          expect(seen(res.status)).toBe(200);
          const body = await res.json();
          const [result] = body.results;
          if (result.status === 'rejected') {
            expect(result.code).toBe('invalid');
            expect(result.message).toMatch(/^records\[0\]/);
            return;
          }
          expect(result.status).toBe('applied');
          const row = (
            await tdb.db.pool.query('SELECT * FROM jobs WHERE server = $1 AND prompt_id = $2', [
              storableString(record.server),
              storableString(record.promptId),
            ])
          ).rows[0];
          expect(row.client_id).toBe(record.clientId === undefined ? null : storableString(record.clientId));
          expect(row.current_node).toBe(
            record.currentNode === null ? null : storableString(record.currentNode),
          );
          expect(row.outputs).toEqual(JSON.parse(storableJson(JSON.stringify(record.outputs))));
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);

  it('answers arbitrary JSON bodies and arbitrary records with 200, 400 or 413', async () => {
    const json = fc.jsonValue({ stringUnit: nastyChar, maxDepth: 6 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          json,
          fc.array(json, { maxLength: 4 }).map((records) => ({ records })),
          json.map((outputs) => ({ records: [{ ...makeRecord(), outputs: { '9': { x: outputs } } }] })),
        ),
        async (value) => {
          const res = await ingest(JSON.stringify(value));
          expect([200, 400, 413]).toContain(seen(res.status));
          const body = await res.json();
          if (res.status === 200)
            expect(body.results).toHaveLength((value as { records: unknown[] }).records.length);
          else expect(body.error.code).toMatch(/^(bad_request|too_large)$/);
        },
      ),
      { numRuns: 120 },
    );
  }, 120_000);

  it('answers arbitrary body text with 400 or 200', async () => {
    await fc.assert(
      fc.asyncProperty(nasty(60), async (text) => {
        const res = await ingest(text);
        expect([200, 400]).toContain(seen(res.status));
      }),
      { numRuns: 80 },
    );
  }, 60_000);

  it('answers arbitrary query parameters, path segments, Last-Event-ID and session cookies with a 4xx or 200', async () => {
    const route = fc.oneof(
      fc
        .tuple(
          fc.constantFrom('server', 'status', 'source', 'since', 'until', 'limit', 'cursor', 'x'),
          urlPart,
        )
        .map(([k, v]) => `/v1/jobs?${k}=${v}`),
      fc.tuple(urlPart, urlPart).map(([id, s]) => `/v1/jobs/${id}?server=${s}`),
      fc.tuple(urlPart, urlPart).map(([id, s]) => `/v1/jobs/${id}/preview?server=${s}`),
      fc
        .tuple(urlPart, urlPart, urlPart, urlPart)
        .map(([id, n, i, s]) => `/v1/jobs/${id}/outputs/${n}/${i}?server=${s}`),
      fc
        .tuple(fc.constantFrom('since', 'limit', 'server'), urlPart)
        .map(([k, v]) => `/v1/stats/nodes?${k}=${v}`),
      fc.tuple(fc.constantFrom('since', 'limit'), urlPart).map(([k, v]) => `/v1/stats/servers?${k}=${v}`),
      fc
        .tuple(fc.constantFrom('server', 'status', 'lastEventId'), urlPart)
        .map(([k, v]) => `/v1/stream?${k}=${v}`),
    );
    const auth = fc.oneof(
      fc.constant({ authorization: `Bearer ${readKey}` }),
      headerValue.map((v) => ({ authorization: `Bearer ${v}` })),
      fc.oneof(headerValue, urlPart).map((v) => ({ cookie: `cp_session=${v}` })),
    );
    await fc.assert(
      fc.asyncProperty(route, auth, fc.option(headerValue), async (path, headers, lastEventId) => {
        const status = await rawGet(srv.url + path, {
          ...headers,
          ...(lastEventId !== null && { 'last-event-id': lastEventId }),
        });
        expect(seen(status)).toBeLessThan(500);
      }),
      { numRuns: 250 },
    );
  }, 120_000);

  it('answers arbitrary sign-in tokens and job start bodies with a 4xx or 200 (rejections the server stores included)', async () => {
    await fc.assert(
      fc.asyncProperty(
        nasty(40),
        nasty(16),
        nasty(16),
        fc.boolean(),
        async (token, classType, input, labelled) => {
          const signin = await srv.request('/v1/session', {
            method: 'POST',
            body: JSON.stringify({ token }),
          });
          expect(seen(signin.status)).toBeLessThan(500);
          // ComfyUI rejects an unknown class with its name in the message; the server stores the rejection.
          const start = await srv.request('/v1/prompts', {
            method: 'POST',
            token: promptKey,
            body: JSON.stringify({
              server: 'sim',
              prompt: { [`n${input}`]: { class_type: classType || 'X', inputs: { [input]: input } } },
              // Labels are stored (and shown) as given: half the bodies carry arbitrary ones.
              ...(labelled && { workflowName: input, client: classType }),
            }),
          });
          expect(seen(start.status)).toBeLessThan(500);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});

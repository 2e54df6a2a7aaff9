import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from './db/database';
import { revokeKey } from './repo/keys';
import {
  DB_KINDS,
  openTestDatabase,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from './testing/databases';
import { makeRecord } from './testing/records';

describe.each(DB_KINDS)('POST /v1/ingest on %s', (kind) => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let ingestKey: string;

  beforeAll(async () => {
    tdb = await openTestDatabase(kind);
    srv = await startTestServer(tdb.db, {
      ingestMaxRecords: 50,
      ingestMaxBytes: 64 * 1024,
      ingestBurst: 1000,
    });
    ingestKey = await srv.token(['ingest']);
  });
  afterAll(async () => {
    await srv?.close();
    await tdb?.dispose();
  });

  const ingest = (records: unknown[], token: string | null = ingestKey) =>
    srv.request('/v1/ingest', {
      method: 'POST',
      ...(token !== null && { token }),
      body: JSON.stringify({ records }),
    });
  const jobRow = async (promptId: string) =>
    (await tdb.db.pool.query('SELECT * FROM jobs WHERE prompt_id = $1', [promptId])).rows;
  const nodeRows = async (promptId: string) =>
    (
      await tdb.db.pool.query('SELECT * FROM model_usage_log WHERE prompt_id = $1 ORDER BY node_id', [
        promptId,
      ])
    ).rows;

  it('stores a job and its node runs', async () => {
    const r = makeRecord();
    const res = await ingest([r]);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-comfypulse')).toBe('1');
    expect(await res.json()).toEqual({ accepted: 1, applied: 1, results: [{ status: 'applied' }] });
    const [row] = await jobRow(r.promptId);
    expect(row).toMatchObject({ server: 'local', status: 'success', source: 'extension', progress: 1 });
    expect(row.queued_by).toMatch(/^test-ingest/);
    const nodes = await nodeRows(r.promptId);
    expect(nodes.map((n) => [n.node_id, n.class_type, n.cached, n.duration_ms])).toEqual([
      ['3', 'KSampler', false, 400],
      ['4', 'CheckpointLoaderSimple', true, null],
    ]);
  });

  it('is idempotent: a replayed batch changes nothing, not even the change number', async () => {
    const r = makeRecord();
    await ingest([r]);
    const before = await jobRow(r.promptId);
    const res = await ingest([r, r]);
    expect(await res.json()).toEqual({
      accepted: 2,
      applied: 0,
      results: [{ status: 'unchanged' }, { status: 'unchanged' }],
    });
    expect(await jobRow(r.promptId)).toEqual(before);
    expect(await nodeRows(r.promptId)).toHaveLength(2);
  });

  it.each([
    ['older after newer', false],
    ['newer and older in one batch, older last', true],
  ])('keeps the newest version: %s', async (_name, oneBatch) => {
    const done = makeRecord();
    const running = {
      ...done,
      status: 'running' as const,
      endedAt: undefined,
      updatedAt: done.updatedAt - 300,
      progress: 0.4,
      currentNode: '3',
      nodes: [{ nodeId: '3', classType: 'KSampler', state: 'running' as const, cached: false }],
    };
    if (oneBatch) await ingest([done, running]);
    else {
      await ingest([done]);
      await ingest([running]);
    }
    const [row] = await jobRow(done.promptId);
    expect(row).toMatchObject({ status: 'success', progress: 1, current_node: null });
    const ks = (await nodeRows(done.promptId)).find((n) => n.node_id === '3');
    expect(ks).toMatchObject({ state: 'finished', duration_ms: 400 });
  });

  it('breaks an updatedAt tie by status: a terminal record beats a running one of the same instant', async () => {
    const done = makeRecord();
    const running = { ...done, status: 'running' as const, progress: 0.9, currentNode: '3' };
    await ingest([done]);
    await ingest([running]);
    expect((await jobRow(done.promptId))[0]).toMatchObject({ status: 'success' });
  });

  it('applies a newer record over an older one', async () => {
    const r = makeRecord({ status: 'running', progress: 0.2, currentNode: '3', endedAt: undefined });
    await ingest([r]);
    await ingest([
      {
        ...r,
        status: 'error',
        progress: 0.5,
        updatedAt: r.updatedAt + 5,
        error: { message: 'OOM', traceback: [] },
      },
    ]);
    expect((await jobRow(r.promptId))[0]).toMatchObject({
      status: 'error',
      error: { message: 'OOM', traceback: [] },
    });
  });

  it('stores SQL-looking strings verbatim', async () => {
    const evil = "x'); DROP TABLE jobs; --";
    const r = makeRecord({
      server: `srv ${evil}`,
      clientId: evil,
      error: { message: `${evil} \\ "quoted" \u00e9\u{1F600}`, traceback: ['$1 $$ ::text'] },
      outputs: { '9': { text: [evil] } },
    });
    expect((await ingest([r])).status).toBe(200);
    const [row] = await jobRow(r.promptId);
    expect(row.server).toBe(`srv ${evil}`);
    expect(row.client_id).toBe(evil);
    expect(row.error).toEqual(r.error);
    expect(row.outputs).toEqual(r.outputs);
  });

  it.each([
    ['no key', null, 401],
    ['a malformed key', 'not-a-key', 401],
    ['an unknown key', 'cpk_0000000000000000000000000000000000000000000', 401],
  ])('answers %s with 401', async (_n, token, status) => {
    const res = await ingest([makeRecord()], token);
    expect(res.status).toBe(status);
    expect((await res.json()).error.code).toBe('unauthorized');
  });

  it('answers a revoked key with 401 and a key without the ingest scope with 403', async () => {
    const { revokeKey } = await import('./repo/keys');
    const revoked = await srv.token(['ingest'], 'soon-revoked');
    expect((await ingest([makeRecord()], revoked)).status).toBe(200);
    expect(await revokeKey(tdb.db.pool, 'soon-revoked')).toBe(1);
    expect((await ingest([makeRecord()], revoked)).status).toBe(401);
    const readOnly = await srv.token(['read']);
    const res = await ingest([makeRecord()], readOnly);
    expect(res.status).toBe(403);
    expect((await res.json()).error.message).toContain('ingest');
  });

  it.each([
    ['a wrong type', { progress: 'half' }, 'records[1].progress'],
    ['an unknown status', { status: 'exploded' }, 'records[1].status'],
    ['an unknown field', { surprise: 1 }, 'surprise'],
    ['a negative timestamp', { updatedAt: -1 }, 'records[1].updatedAt'],
    [
      'a too long message',
      { error: { message: 'x'.repeat(20_001), traceback: [] } },
      'records[1].error.message',
    ],
  ])(
    'rejects only the record with %s, naming the field, and stores the others',
    async (_n, patch, mention) => {
      const good = [makeRecord(), makeRecord()];
      const bad = { ...makeRecord(), ...patch };
      const res = await ingest([good[0], bad, good[1]]);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({
        accepted: 2,
        applied: 2,
        results: [{ status: 'applied' }, { status: 'rejected', code: 'invalid' }, { status: 'applied' }],
      });
      expect(body.results[1].message).toContain(mention);
      for (const r of good) expect(await jobRow(r.promptId)).toHaveLength(1);
      expect(await jobRow(bad.promptId)).toHaveLength(0);
    },
  );

  it('rejects a record that is not an object, and an unknown field in a node run', async () => {
    const bad = makeRecord();
    const res = await ingest([42, { ...bad, nodes: [{ ...bad.nodes[0], vram: 3 }] }]);
    const body = await res.json();
    expect(body.results.map((r: { code: string }) => r.code)).toEqual(['invalid', 'invalid']);
    expect(body.results[1].message).toMatch(/records\[1\]\.nodes\[0\].*vram/);
    expect(await jobRow(bad.promptId)).toHaveLength(0);
  });

  it.each([
    ['not JSON', '{"records": ['],
    ['not an object', '[1, 2]'],
    ['without records', '{"jobs": []}'],
    ['records not an array', '{"records": {}}'],
    ['an unknown top-level field', '{"records": [], "extra": true}'],
  ])('answers an envelope that is %s with 400', async (_n, body) => {
    const res = await srv.request('/v1/ingest', { method: 'POST', token: ingestKey, body });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('bad_request');
  });

  it('stores U+0000 and lone surrogates as U+FFFD (PostgreSQL holds neither), in values and keys', async () => {
    const r = makeRecord({
      clientId: 'a\u0000b',
      server: 'lone \ud800 high',
      error: { message: 'low \udfff, pair \u{1F600}, escaped \\u0000 text', traceback: ['\u0000'] },
      outputs: { '9': { 'key\u0000': ['\udbff'] } },
    });
    const res = await ingest([r]);
    expect(await res.json()).toMatchObject({ applied: 1, results: [{ status: 'applied' }] });
    const [row] = await jobRow(r.promptId);
    expect(row.client_id).toBe('a\uFFFDb');
    expect(row.server).toBe('lone \uFFFD high');
    expect(row.error).toEqual({
      message: 'low \uFFFD, pair \u{1F600}, escaped \\u0000 text',
      traceback: ['\uFFFD'],
    });
    expect(row.outputs).toEqual({ '9': { 'key\uFFFD': ['\uFFFD'] } });
    // Replaying the same record is idempotent: it names the same (cleaned) job.
    expect((await (await ingest([r])).json()).results).toEqual([{ status: 'unchanged' }]);
  });

  it('refuses a record whose updatedAt is far ahead of the server clock, and keeps its row writable', async () => {
    const r = makeRecord({ updatedAt: Date.now() - 1000 });
    await ingest([r]);
    const future = { ...r, status: 'error' as const, updatedAt: Date.now() + 24 * 3600_000 };
    const soon = { ...r, status: 'error' as const, progress: 1, updatedAt: Date.now() + 60_000 };
    const body = await (await ingest([future])).json();
    expect(body.results[0]).toMatchObject({ status: 'rejected', code: 'future_timestamp' });
    expect(body.results[0].message).toContain('records[0].updatedAt');
    // A small clock skew (within the bound) still applies, and a later version still can.
    expect((await (await ingest([soon])).json()).results).toEqual([{ status: 'applied' }]);
    expect((await jobRow(r.promptId))[0].status).toBe('error');
  });

  it('answers a CORS preflight from another origin (bearer keys are not ambient) but not for the session', async () => {
    const pre = await srv.request('/v1/ingest', {
      method: 'OPTIONS',
      headers: {
        origin: 'chrome-extension://abcdefghijklmnop',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
    const session = await srv.request('/v1/session', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(session.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers 413 to an oversized body sent without Content-Length (chunked), counting bytes as they arrive', async () => {
    const big = makeRecord({ error: { message: 'x'.repeat(200_000), traceback: [] } });
    const body = JSON.stringify({ records: [big] });
    const status = await new Promise<number | string>((resolve) => {
      const req = http.request(`${srv.url}/v1/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (e) => resolve(String(e)));
      for (let i = 0; i < body.length; i += 16_384) req.write(body.slice(i, i + 16_384));
      req.end();
    });
    expect(status).toBe(413);
    expect(await jobRow(big.promptId)).toHaveLength(0);
  });

  it('answers an oversized batch (records) and an oversized body (bytes) with 413', async () => {
    const many = Array.from({ length: 51 }, () => makeRecord({ nodes: [], outputs: {} }));
    const res = await ingest(many);
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatchObject({
      code: 'too_large',
      message: expect.stringContaining('50'),
      maxRecords: 50,
      maxBytes: 64 * 1024,
    });
    const big = makeRecord({
      error: { message: 'x'.repeat(19_000), traceback: Array(4).fill('y'.repeat(19_000)) },
    });
    expect((await ingest([big])).status).toBe(413);
    expect(await jobRow(big.promptId)).toHaveLength(0);
  });
});

describe.each(DB_KINDS)('ingest under concurrency and key revocation on %s', (kind) => {
  let tdb: TestDatabase;
  let srv: TestServer;

  beforeAll(async () => {
    tdb = await openTestDatabase(kind);
    srv = await startTestServer(tdb.db, { ingestBurst: 10_000 });
  });
  afterAll(async () => {
    await srv?.close();
    await tdb?.dispose();
  });

  const post = (token: string, records: unknown[]) =>
    srv.request('/v1/ingest', { method: 'POST', token, body: JSON.stringify({ records }) });

  it('keeps the newest version when versions of the same jobs arrive in many concurrent requests, in any order', async () => {
    const token = await srv.token(['ingest']);
    const base = [makeRecord(), makeRecord(), makeRecord()];
    const versions = base.flatMap((r) =>
      [0.2, 0.5, 0.8, 1].map((progress, v) => ({
        ...r,
        status: progress === 1 ? ('success' as const) : ('running' as const),
        progress,
        updatedAt: r.updatedAt + v,
        nodes: [
          { nodeId: '3', classType: 'KSampler', state: 'running' as const, cached: false, durationMs: v },
        ],
      })),
    );
    // Newest first, then everything again (replays): every request lands while others are in flight.
    const order = [...versions].reverse().concat(versions);
    const responses = await Promise.all(order.map((r) => post(token, [r])));
    expect(responses.map((r) => r.status)).toEqual(order.map(() => 200));
    for (const r of base) {
      const rows = (await tdb.db.pool.query('SELECT * FROM jobs WHERE prompt_id = $1', [r.promptId])).rows;
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'success', progress: 1, updated_at: String(r.updatedAt + 3) });
      const nodes = (
        await tdb.db.pool.query('SELECT duration_ms FROM model_usage_log WHERE prompt_id = $1', [r.promptId])
      ).rows;
      expect(nodes).toEqual([{ duration_ms: 3 }]);
    }
    // Replaying everything afterwards changes nothing.
    const replay = await Promise.all(versions.map((r) => post(token, [r])));
    expect(await Promise.all(replay.map((r) => r.json()))).toEqual(
      versions.map(() => ({ accepted: 1, applied: 0, results: [{ status: 'unchanged' }] })),
    );
  });

  it('answers a key revoked while the server runs with 401 on its next ingest, and stops its reads at once', async () => {
    const name = `revoked-live-${kind}`;
    const token = await srv.token(['ingest', 'read'], name);
    expect((await post(token, [makeRecord()])).status).toBe(200);
    expect((await srv.request('/v1/jobs', { token })).status).toBe(200); // the key is now cached
    // Revoked from another connection, as `keys revoke` in another process does.
    const other = new pg.Client(tdb.db.clientConfig);
    await other.connect();
    try {
      await other.query('UPDATE api_keys SET revoked_at = now() WHERE name = $1', [name]);
    } finally {
      await other.end();
    }
    const late = makeRecord();
    const res = await post(token, [late]);
    expect(res.status).toBe(401);
    expect(
      (await tdb.db.pool.query('SELECT 1 FROM jobs WHERE prompt_id = $1', [late.promptId])).rows,
    ).toHaveLength(0);
    // Reads are answered from the cache, which the NOTIFY empties within the delivery delay.
    await expect
      .poll(async () => (await srv.request('/v1/jobs', { token })).status, { timeout: 5000 })
      .toBe(401);
  });
});

describe('key revocation across instances (PostgreSQL)', () => {
  it('drops a revoked key on every instance on the database', async () => {
    const tdb = await openTestDatabase('postgres');
    const srv = await startTestServer(tdb.db);
    const second = await openDatabase({ databaseUrl: tdb.url! });
    const srv2 = await startTestServer(second);
    try {
      const token = await srv.token(['read'], 'revoked-everywhere');
      for (const s of [srv, srv2]) expect((await s.request('/v1/jobs', { token })).status).toBe(200);
      expect(await revokeKey(tdb.db.pool, 'revoked-everywhere')).toBe(1);
      for (const s of [srv, srv2]) {
        await expect
          .poll(async () => (await s.request('/v1/jobs', { token })).status, { timeout: 5000 })
          .toBe(401);
      }
    } finally {
      await srv2.close();
      await second.close();
      await srv.close();
      await tdb.dispose();
    }
  });
});

describe('ingest rate limit', () => {
  it('answers 429 with Retry-After once a key exceeds its burst, per key', async () => {
    const tdb = await openTestDatabase('postgres');
    const srv = await startTestServer(tdb.db, { ingestBurst: 3, ingestRate: 0.01 });
    try {
      const [a, b] = [await srv.token(['ingest']), await srv.token(['ingest'])];
      const post = (token: string) =>
        srv.request('/v1/ingest', { method: 'POST', token, body: JSON.stringify({ records: [] }) });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await post(a)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await post(a);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await post(b)).status).toBe(200);
    } finally {
      await srv.close();
      await tdb.dispose();
    }
  });
});

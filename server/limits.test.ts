// Per-key limits (per instance): job starts are rate-limited and SSE streams capped, each answering 429
// with Retry-After while other keys go on; a job start whose webhook the server would never call is
// refused at once with a 400 naming it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobStarter, SubmitRequest } from './jobs/starter';
import { openTestDatabase, startTestServer, type TestDatabase, type TestServer } from './testing/databases';
import { openSse, type SseReader } from './testing/sse';

describe('per-key limits', () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const submitted: SubmitRequest[] = [];
  const starter: JobStarter = {
    async submit(req) {
      submitted.push(req);
      return { status: 200, body: { prompt_id: `p-${submitted.length}`, number: 1, node_errors: {} } };
    },
    async close() {},
  };

  beforeAll(async () => {
    tdb = await openTestDatabase('pglite');
    srv = await startTestServer(tdb.db, { promptBurst: 2, promptRate: 0.01, streamsPerKey: 2 }, { starter });
  });
  afterAll(async () => {
    await srv?.close();
    await tdb?.dispose();
  });

  const start = (token: string, extra: Record<string, unknown> = {}) =>
    srv.request('/v1/prompts', {
      method: 'POST',
      token,
      body: JSON.stringify({ server: 'local', prompt: { '1': { class_type: 'X', inputs: {} } }, ...extra }),
    });

  it('rate-limits POST /v1/prompts per key with 429 and Retry-After; another key still starts jobs', async () => {
    const [a, b] = [await srv.token(['prompts']), await srv.token(['prompts'])];
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await start(a)).status);
    expect(statuses).toEqual([200, 200, 429]);
    const limited = await start(a);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).error.code).toBe('rate_limited');
    expect((await start(b)).status).toBe(200);
    expect(submitted).toHaveLength(3);
  });

  it('refuses a webhook to a metadata address at submission, and accepts one to n8n on 127.0.0.1', async () => {
    const before = submitted.length;
    const refused = await start(await srv.token(['prompts']), {
      webhook: 'http://169.254.169.254/latest/meta-data/',
    });
    expect(refused.status).toBe(400);
    expect((await refused.json()).error).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('webhook'),
    });
    expect(submitted).toHaveLength(before);
    const n8n = await start(await srv.token(['prompts']), {
      webhook: 'http://127.0.0.1:5678/webhook-waiting/12',
    });
    expect(n8n.status).toBe(200);
    expect(submitted.at(-1)?.webhook).toBe('http://127.0.0.1:5678/webhook-waiting/12');
  });

  it('caps the SSE streams a key holds open with 429 and Retry-After; others open theirs, and a closed one frees its place', async () => {
    const [a, b] = [await srv.token(['read']), await srv.token(['read'])];
    const streams: SseReader[] = [];
    const open = async (token: string) => {
      const r = await openSse(`${srv.url}/v1/stream`, { authorization: `Bearer ${token}` });
      streams.push(r);
      await r.waitFor((e) => e.event === 'ready');
      return r;
    };
    try {
      const first = await open(a);
      await open(a);
      const third = await srv.request('/v1/stream', { token: a });
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await third.json()).error.message).toContain('STREAMS_PER_KEY');
      await open(b);
      first.close();
      await expect
        .poll(
          async () => {
            const res = await srv.request('/v1/stream', { token: a });
            await res.body?.cancel();
            return res.status;
          },
          { timeout: 5000 },
        )
        .toBe(200);
    } finally {
      for (const r of streams) r.close();
    }
  });
});

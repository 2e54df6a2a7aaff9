// POST /v1/prompts end to end against the ComfyUI simulator: submit, progress rows, the outcome row,
// node runs in model_usage_log, the latest preview, the output proxy, and the webhook; plus the 400 path.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Simulator, startSimulator } from '../../sim';
import type { JobDto } from '../repo/jobs';
import {
  DB_KINDS,
  openTestDatabase,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '../testing/databases';
import { openSse, type SseReader } from '../testing/sse';

const workflow = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../fixtures/workflows/${name}.json`, import.meta.url), 'utf8'));

interface Hook {
  url: string;
  received: { path: string; body: { event: string; job: JobDto } }[];
  failFirst: number;
  close(): Promise<void>;
}

/** A webhook receiver that answers 503 to the first `failFirst` calls, to exercise the retries. */
async function startHook(): Promise<Hook> {
  const hook: Hook = { url: '', received: [], failFirst: 0, close: async () => {} };
  let calls = 0;
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => {
      data += c;
    });
    req.on('end', () => {
      calls++;
      if (calls <= hook.failFirst) {
        res.writeHead(503).end();
        return;
      }
      hook.received.push({ path: req.url ?? '', body: JSON.parse(data) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  hook.close = () => new Promise((r) => server.close(() => r()));
  return hook;
}

async function until<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(DB_KINDS)('POST /v1/prompts against the simulator on %s', (kind) => {
  let sim: Simulator;
  let hook: Hook;
  let tdb: TestDatabase;
  let srv: TestServer;
  let token: string;
  let sse: SseReader;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, originCheck: true });
    hook = await startHook();
    tdb = await openTestDatabase(kind);
    srv = await startTestServer(tdb.db, { comfyServers: { sim: { url: sim.url } }, webhookAttempts: 4 });
    token = await srv.token(['prompts', 'read']);
    sse = await openSse(`${srv.url}/v1/stream?server=sim`, { authorization: `Bearer ${token}` });
    await sse.waitFor((e) => e.event === 'ready');
  }, 60_000);
  afterAll(async () => {
    sse?.close();
    await srv?.close();
    await tdb?.dispose();
    await hook?.close();
    await sim?.close();
  });

  const submit = (body: unknown) =>
    srv.request('/v1/prompts', { method: 'POST', token, body: JSON.stringify(body) });
  const row = async (promptId: string) =>
    (await tdb.db.pool.query('SELECT * FROM jobs WHERE prompt_id = $1', [promptId])).rows[0];

  it('runs a job: progress rows, outcome, node runs, preview, output proxy and webhook (after retries)', async () => {
    hook.failFirst = 2;
    const res = await submit({ server: 'sim', prompt: workflow('ok'), webhook: `${hook.url}/done?run=1` });
    expect(res.status).toBe(200);
    const { prompt_id: promptId } = await res.json();
    expect(promptId).toMatch(/^[0-9a-f-]{36}$/);

    // Progress is written while the job runs (seen through the database change stream).
    const mid = await sse.waitFor((e) => {
      if (e.event !== 'job') return false;
      const j = JSON.parse(e.data) as JobDto;
      return j.promptId === promptId && j.status === 'running' && j.progress > 0 && j.progress < 1;
    }, 15_000);
    expect(JSON.parse(mid.data)).toMatchObject({ source: 'api', server: 'sim' });

    const done = await until(async () => {
      const r = await row(promptId);
      return r?.status === 'success' && r;
    });
    expect(done).toMatchObject({ progress: 1, source: 'api', current_node: null });
    expect(done.outputs['3'].images[0]).toMatchObject({ type: 'output', subfolder: '' });
    expect(done.queued_by).toMatch(/^test-prompts/);

    const nodes = (
      await tdb.db.pool.query(
        'SELECT node_id, class_type, cached, duration_ms FROM model_usage_log WHERE prompt_id = $1 ORDER BY node_id',
        [promptId],
      )
    ).rows;
    expect(nodes.map((n) => [n.node_id, n.class_type])).toEqual([
      ['1', 'EmptyImage'],
      ['2', 'PeerSteps'],
      ['3', 'SaveImage'],
    ]);
    const steps = nodes.find((n) => n.node_id === '2');
    expect(steps.cached).toBe(false);
    expect(steps.duration_ms).toBeGreaterThanOrEqual(1500);

    const hookCall = await until(async () => hook.received.find((h) => h.body.job?.promptId === promptId));
    expect(hookCall.path).toBe('/done?run=1');
    expect(hookCall.body).toMatchObject({ event: 'job.finished', job: { status: 'success', server: 'sim' } });
    await until(async () => (await row(promptId))?.webhook_status === 'delivered');

    const preview = await srv.request(`/v1/jobs/${promptId}/preview`, { token });
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-type')).toMatch(/^image\/(jpeg|png)$/);
    expect((await preview.arrayBuffer()).byteLength).toBeGreaterThan(100);

    const out = await srv.request(`/v1/jobs/${promptId}/outputs/3/0`, { token });
    expect(out.status).toBe(200);
    expect(out.headers.get('content-type')).toBe('image/png');
    expect((await srv.request(`/v1/jobs/${promptId}/outputs/3/1`, { token })).status).toBe(404);
  });

  it('keeps the workflow name and client it was started with, from the first row to the outcome', async () => {
    const prompt = workflow('ok');
    // A seed of its own, so the simulator runs the sampler instead of answering from its cache.
    prompt['2'].inputs = { ...prompt['2'].inputs, seed: 7331 };
    const res = await submit({
      server: 'sim',
      prompt,
      workflowName: '  Portraits v2 ',
      client: 'n8n',
    });
    expect(res.status).toBe(200);
    const { prompt_id: promptId } = await res.json();
    const running = await sse.waitFor((e) => {
      if (e.event !== 'job') return false;
      const j = JSON.parse(e.data) as JobDto;
      return j.promptId === promptId && j.status === 'running' && j.currentClass !== null;
    }, 15_000);
    expect(JSON.parse(running.data)).toMatchObject({ workflowName: 'Portraits v2', client: 'n8n' });
    await until(async () => (await row(promptId))?.status === 'success');
    const job = (await (await srv.request(`/v1/jobs/${promptId}`, { token })).json()) as JobDto;
    expect(job).toMatchObject({
      workflowName: 'Portraits v2',
      client: 'n8n',
      currentClass: null,
      outputClasses: { '3': 'SaveImage' },
    });

    const rejected = await submit({
      server: 'sim',
      prompt: workflow('invalid'),
      workflowName: 'Broken',
      client: 'cron',
    });
    expect(rejected.status).toBe(400);
    expect(await row((await rejected.json()).prompt_id)).toMatchObject({
      status: 'rejected',
      workflow_name: 'Broken',
      client_name: 'cron',
    });
  });

  it('records a failing job as error with ComfyUI’s message and calls the webhook', async () => {
    hook.failFirst = 0;
    const res = await submit({ server: 'sim', prompt: workflow('fail'), webhook: `${hook.url}/fail` });
    expect(res.status).toBe(200);
    const { prompt_id: promptId } = await res.json();
    const done = await until(async () => {
      const r = await row(promptId);
      return r?.status === 'error' && r;
    });
    expect(done.error.message).toBeTruthy();
    expect(done.error.nodeId).toBe('3');
    const call = await until(async () => hook.received.find((h) => h.body.job?.promptId === promptId));
    expect(call.body.job.status).toBe('error');
  });

  it('answers a workflow ComfyUI rejects with 400 and its node_errors, recorded as rejected', async () => {
    const res = await submit({ server: 'sim', prompt: workflow('invalid') });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.node_errors['2'].errors[0].type).toBe('required_input_missing');
    expect(body.error.code).toBe('rejected');
    const r = await row(body.prompt_id);
    expect(r).toMatchObject({ status: 'rejected', source: 'api' });
    expect(r.node_errors['2'].class_type).toBe('PeerSteps');
  });

  it('returns the node_errors of outputs ComfyUI dropped on a 200, and runs the rest', async () => {
    const prompt = workflow('ok');
    // A second output whose required input is missing: ComfyUI queues the valid output and reports this one.
    prompt['4'] = { class_type: 'SaveImage', inputs: { filename_prefix: 'dropped' } };
    const res = await submit({ server: 'sim', prompt });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body.node_errors)).toEqual(['4']);
    expect(body.node_errors['4'].class_type).toBe('SaveImage');
    await vi.waitFor(async () => expect((await row(body.prompt_id))?.status).toBe('success'), {
      timeout: 10_000,
      interval: 100,
    });
  });

  it.each([
    ['an unknown server', { server: 'nope', prompt: { '1': { class_type: 'X', inputs: {} } } }, 404],
    ['a missing prompt', { server: 'sim' }, 400],
    ['a non-http webhook', { server: 'sim', prompt: {}, webhook: 'file:///etc/passwd' }, 400],
    ['an unknown field', { server: 'sim', prompt: {}, priority: 1 }, 400],
    ['a two-line workflow name', { server: 'sim', prompt: {}, workflowName: 'a\nb' }, 400],
    ['a blank client', { server: 'sim', prompt: {}, client: '  ' }, 400],
    ['a client of 65 characters', { server: 'sim', prompt: {}, client: 'x'.repeat(65) }, 400],
    ['a workflow name that is not text', { server: 'sim', prompt: {}, workflowName: 7 }, 400],
  ])('answers %s with %i', async (_n, body, status) => {
    expect((await submit(body)).status).toBe(status);
  });

  it('requires the prompts scope', async () => {
    const readOnly = await srv.token(['read']);
    const res = await srv.request('/v1/prompts', {
      method: 'POST',
      token: readOnly,
      body: JSON.stringify({ server: 'sim', prompt: workflow('ok') }),
    });
    expect(res.status).toBe(403);
  });
});

describe('a job whose instance stops before it ends (PostgreSQL)', () => {
  it('is adopted by another instance, which records the outcome and calls the webhook once', async () => {
    const sim = await startSimulator({ port: 0, originCheck: true });
    const hook = await startHook();
    const tdb = await openTestDatabase('postgres');
    const config = { comfyServers: { sim: { url: sim.url } }, jobOrphanAfterMs: 400 };
    const a = await startTestServer(tdb.db, config);
    let b: TestServer | undefined;
    try {
      const token = await a.token(['prompts']);
      const prompt = workflow('ok');
      prompt['2'].inputs = { ...prompt['2'].inputs, steps: 10, delay_ms: 300, seed: 4242 };
      const res = await a.request('/v1/prompts', {
        method: 'POST',
        token,
        body: JSON.stringify({
          server: 'sim',
          prompt,
          webhook: `${hook.url}/adopted`,
          workflowName: 'Night run',
        }),
      });
      const { prompt_id: promptId } = await res.json();
      const row = async () =>
        (await tdb.db.pool.query('SELECT * FROM jobs WHERE prompt_id = $1', [promptId])).rows[0];
      await until(async () => (await row())?.status === 'running');
      await a.close(); // the job keeps running in ComfyUI; nobody follows it now
      b = await startTestServer(tdb.db, config);
      const done = await until(async () => {
        const r = await row();
        return r?.status === 'success' && r;
      }, 20_000);
      expect(done.outputs['3'].images).toHaveLength(1);
      expect(done.workflow_name, 'the adopting instance keeps the label').toBe('Night run');
      await until(async () => (await row())?.webhook_status === 'delivered');
      await new Promise((r) => setTimeout(r, 1000));
      expect(hook.received.filter((h) => h.body.job?.promptId === promptId)).toHaveLength(1);
    } finally {
      await b?.close();
      await tdb.dispose();
      await hook.close();
      await sim.close();
    }
  }, 60_000);
});

import { beforeEach, describe, expect, it } from 'vitest';
import { fixedBackoff } from './backoff';
import { ComfyClient, type ComfyClientOptions, randomUuid } from './client';
import { FakeClock, flushMicrotasks } from './testing/fake-clock';
import { fakeWebSocketServer } from './testing/fake-websocket';
import type { FetchLike } from './types';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

interface ServerModel {
  running: string[];
  pending: string[];
  jobsApi: boolean;
  originCheck?: boolean;
}

let model: ServerModel;
let requests: { method: string; path: string; body: unknown }[];
let clock: FakeClock;
let ws: ReturnType<typeof fakeWebSocketServer>;

/** A stateful stand-in for ComfyUI's HTTP API (no jobs API unless `model.jobsApi`). */
const fakeFetch: FetchLike = async (input, init) => {
  const url = new URL(String(input));
  const method = init?.method ?? 'GET';
  const body = init?.body ? JSON.parse(String(init.body)) : undefined;
  requests.push({ method, path: url.pathname + url.search, body });
  const json = (status: number, b: unknown) =>
    new Response(JSON.stringify(b), { status, headers: { 'Content-Type': 'application/json' } });
  const route = `${method} ${url.pathname}`;
  if (route === 'POST /api/prompt') {
    model.pending.push(body.prompt_id);
    return json(200, { prompt_id: body.prompt_id, number: model.pending.length, node_errors: {} });
  }
  if (route === 'GET /api/queue') {
    return json(200, {
      queue_running: model.running.map((id, i) => [i, id, {}, {}, []]),
      queue_pending: model.pending.map((id, i) => [10 + i, id, {}, {}, []]),
    });
  }
  if (route === 'POST /api/queue' && model.originCheck) return new Response(null, { status: 403 });
  if (route === 'POST /api/queue') {
    model.pending = model.pending.filter((id) => !(body.delete ?? []).includes(id));
    return new Response('', { status: 200 });
  }
  if (route === 'POST /api/interrupt') return new Response('', { status: 200 });
  if (route === 'GET /api/prompt') return json(200, { exec_info: { queue_remaining: model.running.length } });
  if (url.pathname.startsWith('/api/history/')) return json(200, {});
  if (url.pathname.startsWith('/api/jobs') && model.jobsApi) {
    if (route === 'GET /api/jobs') return json(200, { jobs: [] });
    if (url.pathname.endsWith('/cancel')) return json(200, { cancelled: true });
    const id = url.pathname.split('/')[3]!;
    if (model.running.includes(id)) return json(200, { id, status: 'in_progress' });
    if (model.pending.includes(id)) return json(200, { id, status: 'pending' });
    return json(404, { error: 'Job not found' });
  }
  return new Response('404: Not Found', { status: 404, headers: { 'Content-Type': 'text/plain' } });
};

function makeClient(extra: Partial<ComfyClientOptions> = {}) {
  return new ComfyClient({
    url: 'http://comfy.test',
    clientId: 'ext-client',
    WebSocket: ws.WebSocket,
    fetch: fakeFetch,
    clock,
    random: () => 0.5,
    ...extra,
  });
}

/** Fails `n` handshakes in a row, running timers (retries, the client's ticks) until each next dial. */
async function failHandshakes(n: number) {
  for (let i = 0; i < n; i++) {
    ws.last().failHandshake();
    await settle();
    const dials = ws.sockets.length;
    while (ws.sockets.length === dials) {
      clock.runNext();
      await settle();
    }
  }
}

async function settle() {
  await flushMicrotasks(50);
}

beforeEach(() => {
  model = { running: [], pending: [], jobsApi: false };
  requests = [];
  clock = new FakeClock();
  ws = fakeWebSocketServer();
});

describe('ComfyClient', () => {
  it('submits with its own clientId, a canonical UUID prompt_id and preview_method auto', async () => {
    const client = makeClient();
    const id = await client.submit({ '1': { class_type: 'X', inputs: {} } });
    const post = requests.find((r) => r.path === '/api/prompt')!;
    expect(post.body).toMatchObject({
      client_id: 'ext-client',
      prompt_id: id,
      extra_data: { preview_method: 'auto' },
    });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(client.getJob(id)).toMatchObject({ own: true, status: 'pending' });
    client.close();
  });

  it('reconciles after every (re)connect: a job that ended while away does not stay running', async () => {
    const client = makeClient();
    ws.last().open();
    await settle();
    model.running = [A];
    model.pending = [];
    const id = await client.submit({ '1': { class_type: 'X', inputs: {} } }, { promptId: A });
    model.pending = [];
    ws.last().receive({ type: 'execution_start', data: { prompt_id: A } });
    expect(client.getJob(A)!.status).toBe('running');
    const queueCallsBefore = requests.filter((r) => r.path === '/api/queue').length;
    ws.last().drop();
    model.running = []; // the server restarted and forgot it
    clock.advance(250);
    ws.last().open();
    await settle();
    expect(requests.filter((r) => r.path === '/api/queue').length).toBe(queueCallsBefore + 1);
    expect(client.getJob(id)!.status).toBe('lost');
    client.close();
  });

  it('calls the constructor callbacks: onStatus, onProgress, onComplete, onError', async () => {
    const seen: string[] = [];
    const client = makeClient({
      onStatus: (s) => seen.push(`status:${s}`),
      onProgress: (j) => seen.push(`progress:${j.promptId.slice(0, 1)}:${j.progress}`),
      onComplete: (j) => seen.push(`complete:${j.promptId.slice(0, 1)}`),
      onError: (e) => seen.push(`error:${'promptId' in e ? e.promptId.slice(0, 1) : e.kind}`),
    });
    ws.last().open();
    await settle();
    await client.submit({ '1': { class_type: 'X', inputs: {} } }, { promptId: A });
    await client.submit({ '1': { class_type: 'X', inputs: {} } }, { promptId: B });
    const socket = ws.last();
    socket.receive({ type: 'execution_start', data: { prompt_id: A } });
    socket.receive({ type: 'progress', data: { value: 1, max: 2, prompt_id: A, node: '1' } });
    socket.receive({ type: 'execution_success', data: { prompt_id: A } });
    socket.receive({ type: 'execution_start', data: { prompt_id: B } });
    socket.receive({
      type: 'execution_error',
      data: { prompt_id: B, node_id: '1', node_type: 'X', exception_message: 'boom', exception_type: 'E' },
    });
    expect(seen).toContain('status:connected');
    expect(seen.indexOf('status:connecting')).toBeLessThan(seen.indexOf('status:connected'));
    expect(seen).toContain('progress:1:0.5');
    expect(seen.filter((x) => x.startsWith('complete:'))).toEqual(['complete:1']);
    expect(seen.filter((x) => x.startsWith('error:'))).toEqual(['error:2']);
    client.close();
  });

  it('bad frames mid-job are reported as events and lose nothing: the socket stays, later frames apply', async () => {
    const client = makeClient();
    ws.last().open();
    await settle();
    const events: string[] = [];
    client.on('event', (e) => {
      // a parse error's reason names what was wrong; its first words are enough to tell them apart
      events.push(e.type === 'parse_error' ? `parse_error:${e.reason.slice(0, 14)}` : e.type);
    });
    await client.submit({ '1': { class_type: 'X', inputs: {} } }, { promptId: A });
    const socket = ws.last();
    socket.receive({ type: 'execution_start', data: { prompt_id: A } });
    socket.receive('{"type": "progress", "data": {"value": 1,'); // truncated JSON
    socket.receive({ type: 'cm-queue-status', data: { anything: true } }); // a custom node's event
    socket.receive({ type: 'progress', data: { value: 'x', max: 4, prompt_id: A, node: '1' } });
    socket.receive(new Uint8Array([0, 0, 0]).buffer); // no type word
    socket.receive(new Uint8Array([0, 0, 0, 9, 1]).buffer); // unknown binary type: counted, dropped
    socket.receive(
      `{"type": "progress", "data": {"value": NaN, "max": 4, "prompt_id": "${A}", "node": "1"}}`,
    );
    socket.receive({ type: 'progress', data: { value: 2, max: 4, prompt_id: A, node: '1' } });
    socket.receive({ type: 'execution_success', data: { prompt_id: A } });
    expect(events).toEqual([
      'execution_start',
      'parse_error:malformed JSON',
      'unknown',
      'parse_error:progress: valu',
      'parse_error:binary frame o',
      'parse_error:progress: valu', // NaN parses (as null), then fails the schema: named, not thrown
      'progress',
      'execution_success',
    ]);
    expect(ws.sockets).toHaveLength(1);
    expect(client.connectionState).toBe('connected');
    expect(client.getJob(A)).toMatchObject({ status: 'success', progress: 1 });
    expect(client.getJob(A)!.nodes['1']).toMatchObject({ value: 2, max: 4 });
    client.close();
  });

  it('cancel of a pending job deletes only that id; of an unknown one sends no interrupt at all', async () => {
    const client = makeClient();
    model.running = [B]; // someone else's job is running
    const id = await client.submit({ '1': { class_type: 'X', inputs: {} } }, { promptId: A });
    expect(await client.cancel(id)).toBe(true);
    expect(requests.filter((r) => r.method === 'POST' && r.path === '/api/queue').map((r) => r.body)).toEqual(
      [{ delete: [A] }],
    );
    expect(client.getJob(A)!.status).toBe('cancelled');
    expect(await client.cancel('33333333-3333-4333-8333-333333333333')).toBe(false);
    expect(requests.some((r) => r.path === '/api/interrupt')).toBe(false);
    client.close();
  });

  it('cancel of the running job interrupts with its prompt_id after confirming it runs', async () => {
    const client = makeClient();
    model.running = [A];
    expect(await client.cancel(A)).toBe(true);
    const idx = requests.findIndex((r) => r.path === '/api/interrupt');
    expect(requests[idx]!.body).toEqual({ prompt_id: A });
    expect(requests.slice(0, idx).some((r) => r.path === '/api/queue')).toBe(true);
    client.close();
  });

  it('uses the atomic jobs cancel endpoint where it exists', async () => {
    model.jobsApi = true;
    model.running = [A];
    const client = makeClient();
    expect(await client.cancel(A)).toBe(true);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toContain(`POST /api/jobs/${A}/cancel`);
    expect(requests.some((r) => r.path === '/api/interrupt' || r.path === '/api/queue')).toBe(false);
    client.close();
  });

  it('silence while only a job of another client runs never probes or reconnects', async () => {
    const client = makeClient({ discover: true });
    model.running = [B];
    ws.last().open();
    await settle();
    expect(client.getJob(B)).toMatchObject({ own: false, status: 'running' });
    for (let i = 0; i < 12; i++) {
      clock.advance(5000);
      await settle();
    }
    expect(client.socket.stats.probes).toBe(0);
    expect(ws.sockets).toHaveLength(1);
    client.close();
  });

  it('failed handshakes on an origin-checked server: state rejected, reported once, retried slowly', async () => {
    model.originCheck = true;
    const client = makeClient();
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    await failHandshakes(9);
    expect(ws.sockets).toHaveLength(10);
    expect(client.connectionState).toBe('rejected');
    expect(client.lastDiagnosis?.kind).toBe('origin-rejected');
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toContain('--enable-cors-header');
    ws.last().open();
    await settle();
    expect(client.connectionState).toBe('connected');
    expect(client.lastDiagnosis).toBeNull();
    client.close();
  });

  it('an HTTP answer during a long backoff wait dials at once, and not again after that dial failed', async () => {
    const client = makeClient({
      // keep the doctor's own HTTP calls and the reachability probes out: only our request answers
      socket: { diagnoseAfterFailures: 1000, backoff: fixedBackoff(60_000) },
    });
    await failHandshakes(2);
    ws.last().failHandshake();
    await settle();
    const dials = ws.sockets.length;
    await client.http.promptStatus();
    expect(ws.sockets).toHaveLength(dials + 1);
    ws.last().failHandshake(); // HTTP answers but the handshake is refused: no dial per HTTP answer
    await client.http.promptStatus();
    expect(ws.sockets).toHaveLength(dials + 1);
    clock.runNext(); // the scheduled retry
    ws.last().open();
    expect(client.connectionState).toBe('connected');
    client.close();
  });

  it('with discover, a status broadcast announcing more jobs than known reconciles and finds them', async () => {
    const client = makeClient({ discover: true });
    ws.last().open();
    await settle();
    expect(client.getJobs()).toEqual({});
    model.running = [B];
    model.pending = [A];
    ws.last().receive({ type: 'status', data: { status: { exec_info: { queue_remaining: 2 } } } });
    await settle();
    expect(client.getJob(B)).toMatchObject({ status: 'running', own: false });
    expect(client.getJob(A)).toMatchObject({ status: 'pending', own: false });
    client.close();
  });

  it('makes canonical v4 UUIDs even where crypto.randomUUID is missing (insecure http pages)', () => {
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const original = globalThis.crypto.randomUUID;
    try {
      Object.defineProperty(globalThis.crypto, 'randomUUID', { value: undefined, configurable: true });
      const ids = new Set(Array.from({ length: 200 }, () => randomUuid()));
      expect(ids.size).toBe(200);
      for (const id of ids) expect(id).toMatch(UUID);
    } finally {
      Object.defineProperty(globalThis.crypto, 'randomUUID', { value: original, configurable: true });
    }
    expect(randomUuid()).toMatch(UUID);
  });
});

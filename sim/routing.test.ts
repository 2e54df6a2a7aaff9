/**
 * WebSocket routing (comfyui-protocol.md §2–§3): per-prompt events only to the submitting clientId,
 * same-clientId eviction and the finally-pop race, the bare executing replay, and first-message feature
 * flags.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from './index';
import { connect, type Frame, isType, type TestClient } from './testing/client';
import { loadWorkflow } from './testing/fixtures';

let sim: Simulator;
const clients: TestClient[] = [];
beforeEach(async () => {
  sim = await startSimulator({ port: 0, timeScale: 0.1 });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await sim.close();
});

async function open(clientId?: string, path?: string): Promise<TestClient> {
  const c = await connect(sim.url, clientId, {}, path);
  clients.push(c);
  await c.waitFor(isType('status'));
  return c;
}

const slow = (steps = 10, seed = 1) => {
  const wf = loadWorkflow('slow');
  wf['2']!.inputs.steps = steps;
  wf['2']!.inputs.seed = seed;
  return wf;
};
const types = (c: TestClient) => c.frames.map((f) => (f.kind === 'text' ? f.type : `bin${f.eventType}`));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('greeting', () => {
  it('sends status with the verbatim sid, or a uuid4 hex when no clientId is given', async () => {
    const named = await open('my-client');
    expect(named.frames[0]).toEqual({
      kind: 'text',
      type: 'status',
      data: { status: { exec_info: { queue_remaining: 0 } }, sid: 'my-client' },
    });
    const anon = await open(undefined, '/api/ws');
    expect((anon.frames[0] as Extract<Frame, { kind: 'text' }>).data.sid).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('routing by client_id', () => {
  it('sends per-prompt events only to the submitter; others get status only', async () => {
    const sub = await open('sub');
    const other = await open('other');
    const id = (
      (await sim.submit({ prompt: loadWorkflow('ok'), client_id: 'sub' })).body as { prompt_id: string }
    ).prompt_id;
    await sub.waitFor(isType('executing', id));
    await sub.waitFor((f) => f.kind === 'text' && f.type === 'executing' && f.data.node === null);
    await sleep(50);
    expect(new Set(types(other))).toEqual(new Set(['status']));
    expect(types(sub)).toContain('execution_success');
    expect(types(sub)).toContain('bin1');
  });

  it('broadcasts progress, progress_state and type-1 previews when the prompt has no client_id', async () => {
    const a = await open('a');
    const b = await open('b');
    await sim.submit({ prompt: loadWorkflow('ok') });
    await sim.waitForIdle();
    await sleep(50);
    for (const c of [a, b]) {
      expect(new Set(types(c))).toEqual(new Set(['status', 'progress_state', 'progress', 'bin1']));
    }
  });

  it('broadcasts execution_interrupted when the prompt has no client_id', async () => {
    const a = await open('a');
    const { prompt_id } = (await sim.submit({ prompt: slow(30) })).body as { prompt_id: string };
    await a.waitFor(isType('progress'));
    sim.interrupt(prompt_id);
    const f = await a.waitFor(isType('execution_interrupted'));
    expect(Object.keys((f as Extract<Frame, { kind: 'text' }>).data)).toEqual([
      'prompt_id',
      'node_id',
      'node_type',
      'executed',
      'timestamp',
    ]);
  });
});

describe('same-clientId reconnect', () => {
  it('replaces the old socket in the table without closing it', async () => {
    const old = await open('dup');
    const fresh = await open('dup');
    const before = old.frames.length;
    await sim.submit({ prompt: loadWorkflow('ok'), client_id: 'dup' });
    await fresh.waitFor(isType('execution_success'));
    expect(old.ws.readyState).toBe(old.ws.OPEN);
    expect(old.frames.length).toBe(before); // not even status broadcasts
    expect(sim.state().registeredClientIds).toEqual(['dup']);
  });

  it("loses the new registration when the old socket's close arrives late (the finally-pop race)", async () => {
    const old = await open('race');
    const fresh = await open('race');
    await old.close();
    await sleep(50);
    expect(sim.state().registeredClientIds).toEqual([]);
    const before = fresh.frames.length;
    await sim.submit({ prompt: loadWorkflow('ok'), client_id: 'race' });
    await sim.waitForIdle();
    await sleep(50);
    expect(fresh.ws.readyState).toBe(fresh.ws.OPEN);
    expect(fresh.frames.length).toBe(before); // a zombie: open, but receives nothing
  });

  it('replays a bare executing {node} to a reconnect while its prompt runs, and nothing once it ended', async () => {
    const first = await open('re');
    const { prompt_id } = (await sim.submit({ prompt: slow(20), client_id: 're' })).body as {
      prompt_id: string;
    };
    await first.waitFor(isType('progress', prompt_id));
    await first.close();
    const second = await open('re');
    await second.waitFor(isType('executing'));
    expect(second.frames.slice(0, 2)).toEqual([
      { kind: 'text', type: 'status', data: { status: { exec_info: { queue_remaining: 1 } }, sid: 're' } },
      { kind: 'text', type: 'executing', data: { node: '2' } },
    ]);
    await second.waitFor(isType('execution_success', prompt_id), 10_000);
    await second.close();
    const third = await open('re');
    await sleep(50);
    expect(types(third)).toEqual(['status']);
  });
});

describe('feature flags', () => {
  const ff = { type: 'feature_flags', data: { supports_preview_metadata: true } };

  it('replies to feature_flags as the first message and switches previews to type 4 before progress', async () => {
    const c = await open('ff');
    c.send(ff);
    const reply = await c.waitFor(isType('feature_flags'));
    expect(reply).toEqual({
      kind: 'text',
      type: 'feature_flags',
      data: { supports_preview_metadata: true, max_upload_size: 104857600 },
    });
    const { prompt_id } = (await sim.submit({ prompt: loadWorkflow('ok'), client_id: 'ff' })).body as {
      prompt_id: string;
    };
    await c.waitFor(isType('execution_success', prompt_id));
    const seq = types(c);
    expect(seq).not.toContain('bin1');
    const i = seq.indexOf('bin4');
    expect(seq.slice(i - 1, i + 2)).toEqual(['progress_state', 'bin4', 'progress']);
    const bin = c.frames.find((f) => f.kind === 'binary') as Extract<Frame, { kind: 'binary' }>;
    const metaLen = bin.bytes.readUInt32BE(4);
    expect(JSON.parse(bin.bytes.subarray(8, 8 + metaLen).toString('utf8'))).toEqual({
      node_id: '2',
      prompt_id,
      display_node_id: '2',
      parent_node_id: null,
      real_node_id: '2',
      image_type: 'image/jpeg',
    });
    expect([...bin.bytes.subarray(8 + metaLen, 8 + metaLen + 2)]).toEqual([0xff, 0xd8]);
  });

  it.each([
    ['a second feature_flags', [ff, ff], 1],
    ['feature_flags after another JSON object', [{ type: 'keepalive' }, ff], 0],
    ['feature_flags after invalid JSON (which does not count as a message)', ['not json', ff], 1],
    ['feature_flags after a JSON non-object (the server errors before marking it)', ['"ping"', ff], 1],
  ])('handles %s', async (_name, messages, replies) => {
    const c = await open();
    for (const m of messages) c.send(m);
    c.send({ type: 'keepalive' });
    await sleep(100);
    expect(c.texts('feature_flags')).toHaveLength(replies);
  });

  it('resets the flags on every connection', async () => {
    const a = await open('flags');
    a.send(ff);
    await a.waitFor(isType('feature_flags'));
    await a.close();
    const b = await open('flags');
    await sim.submit({ prompt: loadWorkflow('ok'), client_id: 'flags' });
    await b.waitFor(isType('execution_success'));
    expect(types(b)).toContain('bin1');
    expect(types(b)).not.toContain('bin4');
  });

  it('fails the running node when the flags were not an object, as the Python lookup would', async () => {
    const c = await open('bad-flags');
    c.send({ type: 'feature_flags', data: true });
    await c.waitFor(isType('feature_flags'));
    await sim.submit({ prompt: loadWorkflow('ok'), client_id: 'bad-flags' });
    const err = (await c.waitFor(isType('execution_error'))) as Extract<Frame, { kind: 'text' }>;
    expect(err.data).toMatchObject({
      node_id: '2',
      exception_type: 'AttributeError',
      exception_message: "'bool' object has no attribute 'get'\n",
    });
  });
});

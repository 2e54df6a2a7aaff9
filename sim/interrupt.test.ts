/**
 * POST /interrupt: prompt-scoped (Sep 2025+), global without a body, legacy global-only servers,
 * body tolerance, and what history records for an interrupted prompt.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from './index';
import { connect, type Frame, isType, type TestClient } from './testing/client';
import { loadWorkflow } from './testing/fixtures';
import { httpJson } from './testing/recorder';

let sim: Simulator;
let client: TestClient | undefined;
afterEach(async () => {
  client?.ws.terminate();
  client = undefined;
  await sim.close();
});

const slow = (seed: number) => {
  const wf = loadWorkflow('slow');
  wf['2']!.inputs.seed = seed;
  wf['2']!.inputs.steps = 40;
  return wf;
};

async function startRunning(options: Parameters<typeof startSimulator>[0] = {}) {
  sim = await startSimulator({ port: 0, timeScale: 0.1, ...options });
  client = await connect(sim.url, 'int');
  const { prompt_id } = (await sim.submit({ prompt: slow(1), client_id: 'int' })).body as {
    prompt_id: string;
  };
  await client.waitFor(isType('progress', prompt_id));
  return prompt_id;
}

describe('POST /interrupt', () => {
  it('with the running prompt_id interrupts it within ~50 ms and records an error in history', async () => {
    const id = await startRunning();
    const t0 = Date.now();
    const r = await httpJson(sim.url, 'POST', '/interrupt', { prompt_id: id });
    expect(r).toMatchObject({ status: 200, text: '' });
    const f = (await client!.waitFor(isType('execution_interrupted', id))) as Extract<
      Frame,
      { kind: 'text' }
    >;
    expect(Date.now() - t0).toBeLessThan(250);
    expect(f.data).toMatchObject({ prompt_id: id, node_id: '2', node_type: 'PeerSteps', executed: ['1'] });
    await client!.waitFor((x) => x.kind === 'text' && x.type === 'executing' && x.data.node === null);
    const hist = JSON.parse((await httpJson(sim.url, 'GET', `/history/${id}`)).text)[id];
    expect(hist.status.status_str).toBe('error');
    expect(hist.status.completed).toBe(false);
    expect(hist.status.messages.map((m: [string]) => m[0])).toEqual([
      'execution_start',
      'execution_cached',
      'execution_interrupted',
    ]);
  });

  it('with another prompt_id leaves the running prompt alone', async () => {
    const id = await startRunning();
    const other = ((await sim.submit({ prompt: slow(2) })).body as { prompt_id: string }).prompt_id;
    await httpJson(sim.url, 'POST', '/interrupt', { prompt_id: other });
    const before = client!.texts('progress').length;
    await client!.waitFor((f) => isType('progress', id)(f) && client!.texts('progress').length > before + 2);
    expect(client!.texts('execution_interrupted')).toEqual([]);
    expect(sim.state().running).toEqual([id]);
  });

  it.each([
    ['no body', undefined],
    ['an empty object', {}],
    ['invalid JSON', '{oops'],
  ])('with %s interrupts whatever runs (global)', async (_name, body) => {
    const id = await startRunning();
    expect((await httpJson(sim.url, 'POST', '/api/interrupt', body)).status).toBe(200);
    await client!.waitFor(isType('execution_interrupted', id));
  });

  it('with a JSON non-object body fails with 500 like the server', async () => {
    const id = await startRunning();
    expect((await httpJson(sim.url, 'POST', '/interrupt', [id])).status).toBe(500);
  });

  it('on a legacy server ignores prompt_id and interrupts globally', async () => {
    await startRunning({ promptScopedInterrupt: false });
    await httpJson(sim.url, 'POST', '/interrupt', { prompt_id: 'someone-else' });
    await client!.waitFor(isType('execution_interrupted'));
  });

  it('lets the next queued prompt run normally afterwards', async () => {
    const id = await startRunning();
    const wf = loadWorkflow('ok');
    wf['2']!.inputs.steps = 2;
    const next = ((await sim.submit({ prompt: wf, client_id: 'int' })).body as { prompt_id: string })
      .prompt_id;
    await httpJson(sim.url, 'POST', '/interrupt', { prompt_id: id });
    await client!.waitFor(isType('execution_success', next));
  });
});

/**
 * Fault injection: restart (state lost, port kept, optional downtime), dropped sockets (1006, execution
 * continues), zombie sockets, refused connections, and the /__sim control routes the CLI exposes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from './index';
import { connect, isType, type TestClient } from './testing/client';
import { loadWorkflow } from './testing/fixtures';
import { httpJson } from './testing/recorder';

let sim: Simulator;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await sim.close();
});

async function open(id: string): Promise<TestClient> {
  const c = await connect(sim.url, id);
  clients.push(c);
  await c.waitFor(isType('status'));
  return c;
}

const slow = (seed: number, steps = 20) => {
  const wf = loadWorkflow('slow');
  wf['2']!.inputs.seed = seed;
  wf['2']!.inputs.steps = steps;
  return wf;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const reachable = async (url: string) => {
  try {
    await fetch(`${url}/prompt`);
    return true;
  } catch {
    return false;
  }
};

describe('restart', () => {
  it('closes sockets abruptly and loses queue, history and the prompt counter, on the same port', async () => {
    sim = await startSimulator({ port: 0, timeScale: 0.1 });
    const port = sim.port;
    const done = ((await sim.submit({ prompt: loadWorkflow('ok') })).body as { prompt_id: string }).prompt_id;
    await sim.waitForIdle();
    const c = await open('r');
    await sim.submit({ prompt: slow(1), client_id: 'r' });
    await sim.submit({ prompt: slow(2) });
    await c.waitFor(isType('progress'));
    await sim.restart();
    expect(await c.closed).toBe(1006);
    expect(sim.port).toBe(port);
    expect(JSON.parse((await httpJson(sim.url, 'GET', '/queue')).text)).toEqual({
      queue_running: [],
      queue_pending: [],
    });
    expect(JSON.parse((await httpJson(sim.url, 'GET', `/history/${done}`)).text)).toEqual({});
    expect(JSON.parse((await httpJson(sim.url, 'GET', '/history')).text)).toEqual({});
    const again = await sim.submit({ prompt: loadWorkflow('ok') });
    expect((again.body as { number: number }).number).toBe(0);
    await sim.waitForIdle();
  });

  it('refuses connections for downMs before coming back', async () => {
    sim = await startSimulator({ port: 0 });
    const restarting = sim.restart({ downMs: 400 });
    await sleep(100);
    expect(await reachable(sim.url)).toBe(false);
    await restarting;
    expect(await reachable(sim.url)).toBe(true);
  });
});

describe('dropAllSockets', () => {
  it('kills every socket with 1006 while the prompt keeps running to completion', async () => {
    sim = await startSimulator({ port: 0, timeScale: 0.1 });
    const a = await open('d');
    const b = await open('other');
    const id = ((await sim.submit({ prompt: slow(1, 8), client_id: 'd' })).body as { prompt_id: string })
      .prompt_id;
    await a.waitFor(isType('progress'));
    sim.dropAllSockets();
    expect(await a.closed).toBe(1006);
    expect(await b.closed).toBe(1006);
    await sim.waitForIdle();
    const hist = JSON.parse((await httpJson(sim.url, 'GET', `/history/${id}`)).text);
    expect(hist[id].status.status_str).toBe('success');
  });
});

describe('stallSockets', () => {
  it('keeps current sockets open but silent; new sockets work', async () => {
    sim = await startSimulator({ port: 0, timeScale: 0.1 });
    const z = await open('z');
    sim.stallSockets();
    const before = z.frames.length;
    await sim.submit({ prompt: loadWorkflow('ok'), client_id: 'z' });
    await sim.waitForIdle();
    await sleep(50);
    expect(z.ws.readyState).toBe(z.ws.OPEN);
    expect(z.frames.length).toBe(before);
    const fresh = await open('fresh');
    expect(fresh.frames[0]).toMatchObject({ type: 'status' });
  });
});

describe('refuseConnections', () => {
  it('refuses new HTTP and WS connections for a while; established sockets keep receiving', async () => {
    sim = await startSimulator({ port: 0, timeScale: 0.1 });
    const live = await open('live');
    sim.refuseConnections(400);
    expect(await reachable(sim.url)).toBe(false);
    await expect(connect(sim.url, 'new')).rejects.toThrow();
    await sim.submit({ prompt: loadWorkflow('ok'), client_id: 'live' });
    await live.waitFor(isType('execution_success'));
    await sleep(400);
    expect(await reachable(sim.url)).toBe(true);
  });
});

describe('/__sim control routes', () => {
  it('are off by default (404 like the real server)', async () => {
    sim = await startSimulator({ port: 0 });
    expect((await httpJson(sim.url, 'POST', '/__sim/drop')).status).toBe(404);
  });

  it('inject faults at runtime when enabled (as the CLI does)', async () => {
    sim = await startSimulator({ port: 0, controlRoutes: true, timeScale: 0.1 });
    const c = await open('ctl');
    const state = JSON.parse((await httpJson(sim.url, 'GET', '/__sim/state')).text);
    expect(state.registeredClientIds).toEqual(['ctl']);
    expect((await httpJson(sim.url, 'POST', '/__sim/drop')).status).toBe(200);
    expect(await c.closed).toBe(1006);
    await sim.submit({ prompt: slow(1) });
    expect((await httpJson(sim.url, 'POST', '/__sim/restart?downMs=200')).status).toBe(200);
    await sleep(100);
    expect(await reachable(sim.url)).toBe(false);
    await sleep(400);
    expect(JSON.parse((await httpJson(sim.url, 'GET', '/queue')).text).queue_running).toEqual([]);
    expect((await httpJson(sim.url, 'POST', '/__sim/refuse?ms=200')).status).toBe(200);
    await sleep(50);
    expect(await reachable(sim.url)).toBe(false);
    await sleep(300);
    expect(await reachable(sim.url)).toBe(true);
  });
});

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startSimulator } from '../../sim';
import { ComfyClient, type ComfyClientOptions } from './client';
import { BadWorkflow, type ComfyError } from './errors';
import type { ApiPrompt, JobState, WebSocketCtor } from './types';

const workflow = (name: string): ApiPrompt =>
  JSON.parse(readFileSync(new URL(`../../fixtures/workflows/${name}.json`, import.meta.url), 'utf8'));

type Sim = Awaited<ReturnType<typeof startSimulator>>;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  simOptions: Parameters<typeof startSimulator>[0] = {},
  clientOptions: Partial<ComfyClientOptions> = {},
) {
  const sim: Sim = await startSimulator({ port: 0, ...simOptions });
  cleanups.push(() => sim.close());
  const client = new ComfyClient({
    url: sim.url,
    clientId: `test-${Math.random().toString(16).slice(2)}`,
    WebSocket: WebSocket as unknown as WebSocketCtor,
    ...clientOptions,
  });
  cleanups.push(() => client.close());
  await until(() => client.connectionState === 'connected', 'connected');
  return { sim, client };
}

async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const endOf = (client: ComfyClient, id: string) => client.getJob(id)?.status;

describe('ComfyClient against the simulator', () => {
  it('ok.json: progress rises, then complete with the SaveImage output', async () => {
    const { client } = await setup();
    const progress: number[] = [];
    const completed: JobState[] = [];
    client.on('progress', (j) => progress.push(j.progress));
    client.on('complete', (j) => completed.push(j));
    const id = await client.submit(workflow('ok'));
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await until(() => completed.length === 1, 'complete');
    expect(completed[0]!.promptId).toBe(id);
    expect(completed[0]!.outputs['3']).toMatchObject({ images: [{ type: 'output', subfolder: '' }] });
    const rising = progress.filter((p, i) => i === 0 || p > progress[i - 1]!);
    expect(rising.length).toBeGreaterThanOrEqual(4);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1]!)).toBe(true);
  });

  it('fail.json: onError with the node 3 PeerFail error', async () => {
    const errors: (JobState | ComfyError)[] = [];
    const { client } = await setup({}, { onError: (e) => errors.push(e) });
    const id = await client.submit(workflow('fail'));
    await until(() => errors.length > 0, 'error');
    const job = errors[0] as JobState;
    expect(job.promptId).toBe(id);
    expect(job.status).toBe('error');
    expect(job.error).toMatchObject({ nodeId: '3', nodeType: 'PeerFail', exceptionType: 'RuntimeError' });
  });

  it('invalid.json: submit throws BadWorkflow with node_errors', async () => {
    const { client } = await setup();
    const err = await client.submit(workflow('invalid')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadWorkflow);
    expect(Object.keys((err as BadWorkflow).nodeErrors)).toEqual(['2']);
  });

  describe.each([
    ['jobs API with cancel', { jobsApi: true }],
    ['old server: /queue + prompt-scoped interrupt', { jobsApi: false }],
    ['old server: global interrupt', { jobsApi: false, promptScopedInterrupt: false }],
  ])('cancel (%s)', (_name, simOptions) => {
    it('cancels the running job and deletes a pending one, without touching the other', async () => {
      const { sim, client } = await setup(simOptions);
      const running = await client.submit(workflow('slow'));
      await until(() => endOf(client, running) === 'running', 'running');
      const other = await sim.submit({ prompt: workflow('slow'), client_id: 'someone-else' });
      const otherId = (other.body as { prompt_id: string }).prompt_id;
      const pending = await client.submit({
        ...workflow('slow'),
        '2': { ...workflow('slow')['2']!, inputs: { ...workflow('slow')['2']!.inputs, seed: 99 } },
      });

      expect(await client.cancel(pending)).toBe(true);
      expect(endOf(client, pending)).toBe('cancelled');
      expect(sim.state().pending).toContain(otherId);
      expect(await client.cancel(running)).toBe(true);
      await until(() => endOf(client, running) === 'interrupted', 'interrupted', 10_000);
      await until(() => sim.state().running.includes(otherId), 'other job runs');
      expect(sim.state().pending).not.toContain(pending);
      sim.interrupt(otherId);
    });
  });

  it('dropAllSockets mid-job: reconnects and still reports success', async () => {
    const { sim, client } = await setup();
    const id = await client.submit(workflow('ok'));
    await until(() => (client.getJob(id)?.progress ?? 0) > 0.2, 'some progress');
    const before = client.socket.stats.opens;
    sim.dropAllSockets();
    await until(() => endOf(client, id) === 'success', 'success after drop');
    expect(client.socket.stats.opens).toBeGreaterThan(before);
  });

  it('a restart mid-job loses the job: it ends lost, never stuck running', async () => {
    const { sim, client } = await setup();
    const lost: JobState[] = [];
    client.on('error', (j) => 'promptId' in j && lost.push(j));
    const id = await client.submit(workflow('slow'));
    await until(() => endOf(client, id) === 'running', 'running');
    await sim.restart({ downMs: 1000 });
    await until(() => endOf(client, id) === 'lost', 'lost', 15_000);
    expect(lost.map((j) => j.promptId)).toEqual([id]);
  });

  it('stallSockets mid-job: the zombie is detected over HTTP and the socket reconnects', async () => {
    const { sim, client } = await setup({}, { socket: { silenceMs: 1500 } });
    const id = await client.submit(workflow('slow'));
    await until(() => endOf(client, id) === 'running', 'running');
    sim.stallSockets();
    await until(() => client.socket.stats.zombies >= 1, 'zombie verdict', 10_000);
    await until(
      () => client.connectionState === 'connected' && client.socket.stats.opens >= 2,
      'reconnected',
    );
    const p = client.getJob(id)!.progress;
    await until(() => client.getJob(id)!.progress > p, 'live progress again', 10_000);
    await client.cancel(id);
  });

  it('an origin-checked server: handshakes fail, the doctor says rejected', async () => {
    const sim = await startSimulator({ port: 0, originCheck: true });
    cleanups.push(() => sim.close());
    const origin = 'chrome-extension://abcdefghijklmnop';
    class ExtensionWebSocket extends WebSocket {
      constructor(url: string) {
        super(url, { origin });
      }
    }
    const client = new ComfyClient({
      url: sim.url,
      clientId: 'doctor-test',
      WebSocket: ExtensionWebSocket as unknown as WebSocketCtor,
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...(init?.headers as object), Origin: origin } }),
    });
    cleanups.push(() => client.close());
    await until(() => client.connectionState === 'rejected', 'rejected', 10_000);
    expect(client.lastDiagnosis?.kind).toBe('origin-rejected');
  });
});

import 'fake-indexeddb/auto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Simulator, startSimulator } from '../../../sim/server';
import type { ApiPrompt } from '../../comfy/types';
import { TAPPED_TYPES } from '../bridge/tap';
import { saveSettings } from '../settings';
import { jobKeyOf } from '../storage/repo';
import { fetchWithOrigin, type Harness, startHarness, workflow } from '../testing/engine-harness';
import { freshDb, makeServer } from '../testing/records';

let sim: Simulator;
let h: Harness | undefined;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, originCheck: true, secFetchGuard: true, timeScale: 0.2 });
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await sim.waitForIdle(20_000).catch(() => undefined);
});

let seed = 1;
/** ok.json with its PeerSteps set to `steps` × `delayMs` and a fresh seed (no cache hits). */
function stepsWorkflow(steps: number, delayMs: number): ApiPrompt {
  const wf = workflow('ok');
  wf['2']!.inputs = { ...wf['2']!.inputs, steps, delay_ms: delayMs, seed: seed++ };
  return wf;
}

async function otherClientSubmits(prompt: ApiPrompt, clientId = 'comfyui-tab'): Promise<string> {
  const r = await sim.submit({ prompt, client_id: clientId });
  expect(r.status).toBe(200);
  return (r.body as { prompt_id: string }).prompt_id;
}

async function connected(harness: Harness) {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    if ((await harness.db.connections.get(harness.serverId))?.state === 'connected') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('never connected');
}

describe('engine against the simulator (origin check and Sec-Fetch guard on)', () => {
  it('tracks a job it submitted to success, with node runs, the output thumbnail and one finish notice', async () => {
    h = await startHarness(sim.url);
    await connected(h);
    const promptId = await h.engine.submit(h.serverId, workflow('ok'));
    const done = await h.waitForJob(
      (j) => j.promptId === promptId && j.status === 'success',
      15_000,
      'success',
    );
    expect(done).toMatchObject({ own: true, active: 0, progress: 1 });
    expect(done.startedAt).toBeLessThanOrEqual(done.endedAt!);
    const runs = await h.db.nodeRuns.where('jobKey').equals(done.key).toArray();
    expect(runs.map((r) => r.classType).sort()).toEqual(['EmptyImage', 'PeerSteps', 'SaveImage']);
    expect(runs.find((r) => r.classType === 'PeerSteps')!.durationMs).toBeGreaterThan(0);
    // the thumbnail is fetched before the worker is told, so its notification can show it
    await expect
      .poll(() => h!.notices.filter((n) => n.type === 'bg:jobFinished').map((n) => n.payload))
      .toEqual([{ jobKey: jobKeyOf(h.serverId, promptId) }]);
    const thumb = await h.db.blobs.get(`${done.key}:thumb`);
    expect(thumb?.mime).toMatch(/^image\//);
    expect(thumb?.size).toBeGreaterThan(0);
    expect((await h.db.jobs.get(done.key))?.thumbKey).toBe(`${done.key}:thumb`);
    // every change went out live, including progress in between
    const liveProgress = h.live.flatMap((m) =>
      m.kind === 'job' && m.job.promptId === promptId ? [m.job.progress] : [],
    );
    expect(liveProgress.some((p) => p > 0 && p < 1)).toBe(true);
    expect(h.live.some((m) => m.kind === 'preview' && m.jobKey === done.key)).toBe(true);
    expect(await h.db.blobs.get(`${done.key}:preview`)).toBeDefined();
  });

  it('shows a job queued by another client through reconciliation and polling, to its true end', async () => {
    h = await startHarness(sim.url);
    await connected(h);
    const id = await otherClientSubmits(stepsWorkflow(10, 200));
    const seen = await h.waitForJob(
      (j) => j.promptId === id && j.active === 1,
      5000,
      'foreign job seen active',
    );
    expect(seen.own).toBe(false);
    const done = await h.waitForJob(
      (j) => j.promptId === id && j.active === 0,
      15_000,
      'foreign job finished',
    );
    expect(done.status).toBe('success');
  });

  it('after all sockets drop mid-job, reconnects by itself and ends in the true state', async () => {
    h = await startHarness(sim.url);
    await connected(h);
    const id = await h.engine.submit(h.serverId, stepsWorkflow(30, 200));
    await h.waitForJob((j) => j.promptId === id && j.progress > 0.1, 10_000, 'progress');
    const opensBefore = h.engine.connection(h.serverId)!.client.socket.stats.opens;
    sim.dropAllSockets();
    const done = await h.waitForJob((j) => j.promptId === id && j.active === 0, 20_000, 'end after drop');
    expect(done.status).toBe('success');
    expect(h.engine.connection(h.serverId)!.client.socket.stats.opens).toBeGreaterThan(opensBefore);
  });

  it('marks the running and the pending job lost when the server restarts and forgets its queue', async () => {
    h = await startHarness(sim.url);
    await connected(h);
    const id = await h.engine.submit(h.serverId, stepsWorkflow(50, 200));
    const queued = await h.engine.submit(h.serverId, stepsWorkflow(5, 100));
    await h.waitForJob((j) => j.promptId === id && j.status === 'running', 10_000, 'running');
    await sim.restart({ downMs: 300 });
    const done = await h.waitForJob((j) => j.promptId === id && j.active === 0, 20_000, 'end after restart');
    expect(done.status).toBe('lost');
    expect((await h.waitForJob((j) => j.promptId === queued && j.active === 0)).status).toBe('lost');
    expect(h.notices).toContainEqual({ type: 'bg:jobFinished', payload: { jobKey: done.key } });
  });

  it('cancels the running job it was asked to, leaving a queued job of another client untouched', async () => {
    h = await startHarness(sim.url);
    await connected(h);
    const mine = await h.engine.submit(h.serverId, stepsWorkflow(60, 200));
    const theirs = await otherClientSubmits(stepsWorkflow(5, 100));
    await h.waitForJob((j) => j.promptId === mine && j.status === 'running', 10_000, 'running');
    const outcome = await h.engine.cancelJob({ serverId: h.serverId, promptId: mine });
    expect(outcome).toEqual({ ok: true, method: 'interrupt' });
    const cancelled = await h.waitForJob((j) => j.promptId === mine && j.active === 0, 10_000, 'interrupted');
    expect(cancelled.status).toBe('interrupted');
    const other = await h.waitForJob(
      (j) => j.promptId === theirs && j.active === 0,
      15_000,
      'other finished',
    );
    expect(other.status).toBe('success');
  });

  it('deletes a pending job without interrupting the one running', async () => {
    h = await startHarness(sim.url);
    await connected(h);
    const running = await h.engine.submit(h.serverId, stepsWorkflow(15, 200));
    const pending = await h.engine.submit(h.serverId, stepsWorkflow(5, 100));
    await h.waitForJob((j) => j.promptId === running && j.status === 'running', 10_000, 'running');
    expect(await h.engine.cancelJob({ serverId: h.serverId, promptId: pending })).toEqual({
      ok: true,
      method: 'delete',
    });
    expect((await h.waitForJob((j) => j.promptId === pending && j.active === 0)).status).toBe('cancelled');
    const first = await h.waitForJob(
      (j) => j.promptId === running && j.active === 0,
      15_000,
      'running finished',
    );
    expect(first.status).toBe('success');
    // a finished job cannot be cancelled any more
    expect(await h.engine.cancelJob({ serverId: h.serverId, promptId: running })).toMatchObject({
      ok: false,
    });
  });

  it('coalesces writes: a 60-tick job costs at most one transaction per 250 ms plus one per status change', async () => {
    h = await startHarness(sim.url);
    await connected(h);
    const db = h.db;
    const realTransaction = db.transaction.bind(db) as (...a: unknown[]) => unknown;
    let transactions = 0;
    (db as unknown as { transaction: (...a: unknown[]) => unknown }).transaction = (...args: unknown[]) => {
      if (args[0] === 'rw') transactions++;
      return realTransaction(...args);
    };
    const t0 = Date.now();
    const id = await h.engine.submit(h.serverId, stepsWorkflow(60, 200));
    const done = await h.waitForJob((j) => j.promptId === id && j.active === 0, 20_000, 'end');
    await new Promise((r) => setTimeout(r, 300));
    const elapsed = Date.now() - t0;
    expect(done.status).toBe('success');
    const ticks = h.live.filter((m) => m.kind === 'job' && m.job.promptId === id).length;
    expect(ticks).toBeGreaterThanOrEqual(60);
    // pending, running, success: three status changes; one more for the thumbnail
    const bound = Math.ceil(elapsed / 250) + 3 + 1;
    expect(transactions).toBeLessThanOrEqual(bound);
    expect(transactions).toBeLessThan(ticks / 2);
  });

  it.each([
    ['with our clientId (a script using it)', true],
    ['without a client_id (broadcast-only stream)', false],
  ])('adopts a prompt queued %s: graph known first, progress never goes back', async (_, withOurId) => {
    h = await startHarness(sim.url);
    await connected(h);
    const r = await sim.submit({
      prompt: stepsWorkflow(20, 100),
      ...(withOurId ? { client_id: h.clientId } : {}),
    });
    const id = (r.body as { prompt_id: string }).prompt_id;
    const done = await h.waitForJob((j) => j.promptId === id && j.active === 0, 15_000, 'adopted job end');
    expect(done).toMatchObject({ status: 'success', own: withOurId });
    expect(Object.values(done.classTypes).sort()).toEqual(['EmptyImage', 'PeerSteps', 'SaveImage']);
    const seen = h.live.flatMap((m) => (m.kind === 'job' && m.job.promptId === id ? [m.job] : []));
    expect(seen.every((j) => Object.keys(j.classTypes).length === 3)).toBe(true);
    const progress = seen.map((j) => j.progress);
    expect(progress.filter((p, i) => i > 0 && p < progress[i - 1]!)).toEqual([]);
    expect(new Set(progress).size).toBeGreaterThan(5);
  });

  it('finds jobs that ran and ended while the engine was not running, in history, on connect', async () => {
    const id = await otherClientSubmits(stepsWorkflow(3, 50));
    await sim.waitForIdle(10_000);
    h = await startHarness(sim.url);
    const found = await h.waitForJob((j) => j.promptId === id, 10_000, 'job from history');
    expect(found).toMatchObject({ status: 'success', active: 0, own: false });
    // it ended a moment ago: still news, so the worker may announce it
    expect(found.notifiedAt).toBeUndefined();
    expect(Object.values(found.classTypes)).toContain('PeerSteps');
  });

  it('shows live progress of a ComfyUI-tab job from frames the tab bridge relays, and only from a server page', async () => {
    h = await startHarness(sim.url);
    await connected(h);
    // the tab: its own socket and clientId; what it receives is what its frontend dispatches on app.api
    const tab = new WebSocket(`${sim.url.replace('http', 'ws')}/ws?clientId=comfyui-tab-1`);
    await new Promise((r) => tab.once('open', r));
    let applied = 0;
    let foreign = 0;
    const harness = h;
    tab.on('message', (raw, binary) => {
      if (binary || tab.readyState !== WebSocket.OPEN) return;
      const frame = JSON.parse(String(raw)) as { type: string; data: unknown };
      if (!(TAPPED_TYPES as readonly string[]).includes(frame.type)) return;
      applied += harness.engine.ingestTabFrames(`${sim.url}/`, [frame]);
      const pid = (frame.data as { prompt_id?: string }).prompt_id;
      if (frame.type === 'progress' && pid) {
        const data = { prompt_id: pid, mime: 'image/jpeg', image: 'AQID' };
        harness.engine.ingestTabFrames(`${sim.url}/`, [{ type: 'preview', data }]);
      }
      foreign += harness.engine.ingestTabFrames('http://127.0.0.1:1/', [frame]);
    });
    try {
      const id = await otherClientSubmits(stepsWorkflow(12, 100), 'comfyui-tab-1');
      const done = await h.waitForJob((j) => j.promptId === id && j.active === 0, 15_000, 'tab job end');
      expect(done).toMatchObject({ status: 'success', own: false, clientId: 'comfyui-tab-1' });
      expect(applied).toBeGreaterThan(12);
      expect(foreign).toBe(0);
      expect(h.live.some((m) => m.kind === 'preview' && m.jobKey === done.key)).toBe(true);
      const progress = h.live.flatMap((m) =>
        m.kind === 'job' && m.job.promptId === id ? [m.job.progress] : [],
      );
      expect(new Set(progress.filter((p) => p > 0 && p < 1)).size).toBeGreaterThan(5);
      expect(progress.filter((p, i) => i > 0 && p < progress[i - 1]!)).toEqual([]);
    } finally {
      tab.close();
    }
  });

  it('stores the workflow name the tab bridge relayed on the job record, from a server page only', async () => {
    h = await startHarness(sim.url);
    await connected(h);
    const id = await otherClientSubmits(stepsWorkflow(6, 100), 'comfyui-tab-2');
    const frame = (name: unknown) => ({ type: 'workflow', data: { prompt_id: id, name } });
    // before the engine may have seen the job at all: the name waits for it
    expect(h.engine.ingestTabFrames('http://127.0.0.1:1/', [frame('Foreign')])).toBe(0);
    expect(h.engine.ingestTabFrames(`${sim.url}/`, [frame('\u0000 \n'), frame(42)])).toBe(0);
    expect(h.engine.ingestTabFrames(`${sim.url}/`, [frame('Portraits\u0007\n  v2')])).toBe(1);
    const done = await h.waitForJob((j) => j.promptId === id && j.active === 0, 15_000, 'named job end');
    expect(done.workflowName).toBe('Portraits v2');
    expect((await h.db.jobs.get(done.key))?.workflowName).toBe('Portraits v2');
    expect(
      h.live.some((m) => m.kind === 'job' && m.job.promptId === id && m.job.workflowName === 'Portraits v2'),
    ).toBe(true);
  });

  it('is polite: no HTTP while idle, and polls at most every 2 s while only a foreign job runs', async () => {
    const calls: string[] = [];
    const base = fetchWithOrigin(new URL(sim.url).origin);
    h = await startHarness(sim.url, {
      overrides: {
        fetch: (input, init) => {
          calls.push(new URL(String(input)).pathname);
          return base(input, init);
        },
      },
    });
    await connected(h);
    await new Promise((r) => setTimeout(r, 500));
    calls.length = 0;
    await new Promise((r) => setTimeout(r, 3000));
    expect(calls).toEqual([]);

    const id = await otherClientSubmits(stepsWorkflow(6, 1000));
    const t0 = Date.now();
    await h.waitForJob((j) => j.promptId === id && j.active === 0, 20_000, 'foreign end');
    const seconds = (Date.now() - t0) / 1000;
    const queueReads = calls.filter((c) => c === '/api/queue').length;
    // discovery, the final reconciliation, and timed polls no closer than 2 s apart
    expect(queueReads).toBeLessThanOrEqual(Math.ceil(seconds / 2) + 3);
    expect(queueReads).toBeGreaterThanOrEqual(2);
  });

  it('reloads only what changed: an edited server reconnects, a removed one disappears', async () => {
    h = await startHarness(sim.url);
    await connected(h);
    const first = h.engine.connection(h.serverId);
    await h.engine.reload();
    expect(h.engine.connection(h.serverId)).toBe(first);
    await h.db.servers.update(h.serverId, { name: 'renamed only' });
    await h.engine.reload();
    expect(h.engine.connection(h.serverId)).toBe(first);
    await h.db.servers.update(h.serverId, { url: `${sim.url}/` });
    await h.engine.reload();
    expect(h.engine.connection(h.serverId)).not.toBe(first);
    await h.db.servers.put(makeServer('second', sim.url, { clientId: 'comfypulse-second', createdAt: 5 }));
    await h.engine.reload();
    await expect
      .poll(async () => (await h!.db.connections.get('second'))?.state, { timeout: 10_000 })
      .toBe('connected');
    await h.db.servers.update('second', { enabled: false });
    await h.engine.reload();
    expect(h.engine.connection('second')).toBeUndefined();
    expect((await h.db.connections.get('second'))?.state).toBe('offline');
    await h.db.servers.delete('second');
    await h.engine.reload();
    expect(h.engine.connection('second')).toBeUndefined();
    expect(await h.db.connections.get('second')).toBeUndefined();
  });

  it('neither broadcasts nor stores preview frames above the size cap', async () => {
    h = await startHarness(sim.url, { overrides: { timing: { previewMaxBytes: 10 } } });
    await connected(h);
    const id = await h.engine.submit(h.serverId, stepsWorkflow(4, 50));
    const done = await h.waitForJob((j) => j.promptId === id && j.active === 0, 10_000, 'end');
    expect(done.previewCount).toBeGreaterThan(0);
    expect(h.live.some((m) => m.kind === 'preview')).toBe(false);
    expect(await h.db.blobs.get(`${done.key}:preview`)).toBeUndefined();
  });

  it('discovers at most as many finished jobs from history as retention keeps', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await otherClientSubmits(stepsWorkflow(1, 10)));
    await sim.waitForIdle(10_000);
    const db = freshDb('engine');
    await saveSettings(db, { retention: { maxJobs: 10 } });
    h = await startHarness(sim.url, { db });
    await h.waitForJob((j) => j.promptId === ids.at(-1), 10_000, 'newest from history');
    await new Promise((r) => setTimeout(r, 300));
    const found = (await h.db.jobs.toArray()).map((j) => j.promptId).filter((id) => ids.includes(id));
    expect(found.sort()).toEqual(ids.slice(-10).sort());
  });
});

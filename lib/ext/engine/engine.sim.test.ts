import 'fake-indexeddb/auto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../sim/server';
import { jobKeyOf } from '../storage/repo';
import { type Harness, startHarness, workflow } from '../testing/engine-harness';

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
});

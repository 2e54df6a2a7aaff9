/**
 * The observer role: a socket with another clientId while a submitter runs a prompt. comfyui-protocol.md §12
 * says it gets only `status`, so its tracker cannot see the job run or end; only reconciliation over HTTP
 * gives it the outcome. Recorded live from the simulator (whose routing the conformance test pins to the
 * real traces), since no recorded trace has an observer of a prompt posted with a client_id.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../sim';
import { loadWorkflow } from '../../sim/testing/fixtures';
import { record } from '../../sim/testing/recorder';
import { createComfyHttp } from './http';
import { reconcile } from './reconcile';
import { replayLines } from './testing/replay';
import type { TraceLine } from './testing/traces';
import { assertValidTrackerState } from './testing/tracker-invariants';
import { initialTrackerState, reduceTracker, type TrackerState } from './tracker';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const fast = { settleMs: 150, lingerMs: 250, historyPollMs: 100, historyGraceMs: 400 } as const;

describe.each([
  { server: 'with the jobs API', jobsApi: true },
  { server: 'with /queue and /history only', jobsApi: false },
])('an observer socket while another client runs ok.json ($server)', ({ jobsApi }) => {
  it('learns only the queue length from its stream, and the true outcome from reconciliation', async () => {
    sim = await startSimulator({ port: 0, timeScale: 0.1, jobsApi });
    const rec = await record({ baseUrl: sim.url, workflow: loadWorkflow('ok'), observer: true, ...fast });
    expect(rec.result).toBe('execution_success');
    const promptId = rec.promptId!;
    const lines = rec.lines as TraceLine[];

    // Unannounced, the stream alone never creates a job.
    const bare = replayLines(lines, { conns: ['observer'] });
    expect(new Set(bare.events.map((e) => e.type))).toEqual(new Set(['status']));
    expect(bare.events.length).toBeGreaterThanOrEqual(3);
    expect(bare.decoder.stats).toMatchObject({ parseErrors: 0, previews: 0, unknownBinary: 0 });
    expect(bare.state.jobs).toEqual({});
    expect(bare.state.queueRemaining).toBe(0);
    expect(bare.state.runningPromptId).toBeNull();

    // Announced as discovery would (someone else's job), it never runs or ends on the stream: the empty
    // queue only flags it for reconciliation.
    let state: TrackerState = reduceTracker(
      initialTrackerState,
      { type: 'local:queued', promptId, own: false },
      0,
    );
    for (const event of bare.events) {
      const next = reduceTracker(state, event, 1);
      assertValidTrackerState(next, state);
      state = next;
    }
    expect(state.jobs[promptId]).toMatchObject({
      status: 'pending',
      nodes: {},
      outputs: {},
      previewCount: 0,
      awaitingReconciliation: true,
    });

    const http = createComfyHttp({ baseUrl: sim.url });
    for (const e of await reconcile(http, state)) state = reduceTracker(state, e, 2);
    const job = state.jobs[promptId]!;
    expect(job.status).toBe('success');
    expect(job.awaitingReconciliation).toBeUndefined();
    expect(job.outputs['3']).toEqual({
      images: [{ filename: 'peer_ok_00001_.png', subfolder: '', type: 'output' }],
    });
    // Idempotent: a second pass finds nothing active and changes nothing.
    expect(await reconcile(http, state)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { assertValidTrackerState } from './testing/tracker-invariants';
import {
  changedJobs,
  cloneJob,
  cloneRun,
  forgetJobs,
  initialTrackerState,
  JOB_KEYS,
  JobTracker,
  jobProgress,
  RUN_KEYS,
  reduceTracker,
  type TrackerState,
} from './tracker';
import type { ComfyEvent, JobState, JobStatus, NodeRun, TrackerEvent } from './types';

const P = 'prompt-1';
const Q = 'prompt-2';
const prompt3 = {
  '1': { class_type: 'EmptyImage', inputs: {} },
  '2': { class_type: 'KSampler', inputs: {} },
  '3': { class_type: 'SaveImage', inputs: {} },
};

/** Feeds events at t = 1000, 1010, 1020, ... and checks the invariants after each. */
function run(events: TrackerEvent[], from: TrackerState = initialTrackerState, t0 = 1000): TrackerState {
  let s = from;
  events.forEach((e, i) => {
    const next = reduceTracker(s, e, t0 + i * 10);
    assertValidTrackerState(next, s);
    s = next;
  });
  return s;
}

const ps = (
  promptId: string,
  nodes: Record<string, [state: string, value: number, max: number]>,
): ComfyEvent => ({
  type: 'progress_state',
  promptId,
  nodes: Object.fromEntries(
    Object.entries(nodes).map(([id, [state, value, max]]) => [id, { nodeId: id, state, value, max }]),
  ),
});
const preview1 = (): ComfyEvent => ({ type: 'preview', mime: 'image/jpeg', bytes: new Uint8Array([1]) });
const status = (q: number): ComfyEvent => ({ type: 'status', queueRemaining: q });

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !ArrayBuffer.isView(o) && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

describe('reduceTracker is pure', () => {
  it('never mutates its input state or event (frozen inputs reduce without throwing)', () => {
    const base = deepFreeze(
      run([
        { type: 'local:queued', promptId: P, own: true, prompt: prompt3 },
        { type: 'execution_start', promptId: P },
        { type: 'executing', node: '2', promptId: P },
        { type: 'progress', node: '2', promptId: P, value: 1, max: 4 },
      ]),
    );
    const events: TrackerEvent[] = [
      { type: 'progress', node: '2', promptId: P, value: 2, max: 4 },
      ps(P, { '1': ['finished', 1, 1], '2': ['running', 3, 4] }),
      preview1(),
      { type: 'executed', node: '3', promptId: P, output: { images: [] } },
      { type: 'execution_success', promptId: P },
      { type: 'local:snapshot', promptId: P, status: 'success', outputs: { '3': { images: [] } } },
      status(0),
    ];
    let s = base;
    for (const e of events) s = reduceTracker(s, deepFreeze(e), 2000);
    expect(s.jobs[P]!.status).toBe('success');
    expect(base.jobs[P]!.nodes['2']!.value).toBe(1);
  });

  it.each<[string, TrackerEvent]>([
    ['unknown frame', { type: 'unknown', rawType: 'cm-task-started', data: {} }],
    ['parse error', { type: 'parse_error', reason: 'x' }],
    ['feature flags', { type: 'feature_flags', flags: {} }],
    ['progress_text (no prompt id in core)', { type: 'progress_text', nodeId: '2', text: 'hi' }],
    ['a repeated progress tick', { type: 'progress', node: '2', promptId: P, value: 1, max: 4 }],
    ['a bare preview with no running prompt', preview1()],
    ['the same status again', status(1)],
    ['an id-less executed for no running prompt', { type: 'executed', node: '9', output: {} }],
  ])('returns the same reference when nothing changes: %s', (_name, event) => {
    const s = run([
      status(1),
      { type: 'execution_start', promptId: P },
      { type: 'executing', node: '2', promptId: P },
    ]);
    const before =
      event.type === 'preview' || event.type === 'executed'
        ? run([{ type: 'executing', node: null, promptId: P }], s)
        : run([{ type: 'progress', node: '2', promptId: P, value: 1, max: 4 }], s);
    expect(reduceTracker(before, event, 5000)).toBe(before);
  });
});

describe('the full stream of a prompt we submitted', () => {
  it('times each node from the local clock and reports the running node', () => {
    const s = run([
      { type: 'local:queued', promptId: P, own: true, number: 7, prompt: prompt3 }, // t=1000
      { type: 'execution_start', promptId: P, timestamp: 1 }, // 1010 (server timestamps are ignored)
      ps(P, { '1': ['running', 0, 1] }), // 1020
      { type: 'executing', node: '1', displayNode: '1', promptId: P }, // 1030
      ps(P, { '1': ['finished', 1, 1] }), // 1040
      ps(P, { '1': ['finished', 1, 1], '2': ['running', 0, 1] }), // 1050
      { type: 'executing', node: '2', displayNode: '2', promptId: P }, // 1060
      { type: 'progress', node: '2', promptId: P, value: 5, max: 20 }, // 1070
    ]);
    const job = s.jobs[P]!;
    expect(job).toMatchObject({ status: 'running', own: true, number: 7, queuedAt: 1000, startedAt: 1010 });
    expect(job.currentNode).toBe('2');
    expect(job.nodes['1']).toEqual({
      nodeId: '1',
      state: 'finished',
      cached: false,
      classType: 'EmptyImage',
      startedAt: 1020,
      endedAt: 1040,
      durationMs: 20,
      value: 1,
      max: 1,
    });
    expect(job.nodes['2']).toMatchObject({
      state: 'running',
      startedAt: 1050,
      value: 5,
      max: 20,
      classType: 'KSampler',
    });
    // (1 finished + 5/20 running) over the 3 prompt nodes
    expect(job.progress).toBeCloseTo(1.25 / 3, 10);
    expect(s.runningPromptId).toBe(P);
  });

  it('marks cached nodes cached with zero duration, and a later finished frame does not uncache them', () => {
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'execution_cached', promptId: P, nodes: ['1', '2'] },
      ps(P, { '2': ['finished', 1, 1] }),
    ]);
    for (const id of ['1', '2']) {
      expect(s.jobs[P]!.nodes[id]).toMatchObject({ state: 'cached', cached: true, durationMs: 0 });
    }
    expect(s.jobs[P]!.progress).toBe(1); // 2 of 2 nodes seen, prompt unknown
  });

  it('records outputs from executed, ignoring a null output', () => {
    const out = { images: [{ filename: 'a.png', subfolder: '', type: 'output' }] };
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'executed', node: '3', promptId: P, output: out },
      { type: 'executed', node: '4', promptId: P, output: null },
    ]);
    expect(s.jobs[P]!.outputs).toEqual({ '3': out });
  });

  it('success finishes the job: progress 1, no current node, running nodes closed; executing null ends the stream', () => {
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'executing', node: '2', promptId: P },
      { type: 'execution_success', promptId: P },
      status(0),
      { type: 'executing', node: null, promptId: P },
    ]);
    const job = s.jobs[P]!;
    expect(job).toMatchObject({ status: 'success', progress: 1, currentNode: null, endedAt: 1020 });
    expect(job.nodes['2']).toMatchObject({ state: 'finished', endedAt: 1020, durationMs: 10 });
    expect(job.awaitingReconciliation).toBeUndefined();
    expect(s.runningPromptId).toBeNull();
  });

  it('an error keeps the details and marks the failing node, typed from the error when the prompt is unknown', () => {
    const error = {
      nodeId: '3',
      nodeType: 'PeerFail',
      message: 'boom',
      exceptionType: 'RuntimeError',
      traceback: ['t'],
    };
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'executing', node: '3', promptId: P },
      { type: 'execution_error', promptId: P, error, executed: ['2'] },
    ]);
    expect(s.jobs[P]).toMatchObject({ status: 'error', error, currentNode: null });
    expect(s.jobs[P]!.nodes['3']).toMatchObject({ state: 'error', classType: 'PeerFail', durationMs: 10 });
  });

  it('an interrupt records where it stopped and stops the clock on the running node', () => {
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'executing', node: '2', promptId: P },
      { type: 'execution_interrupted', promptId: P, nodeId: '2', nodeType: 'KSampler', executed: [] },
    ]);
    expect(s.jobs[P]).toMatchObject({
      status: 'interrupted',
      interruptedAt: { nodeId: '2', nodeType: 'KSampler' },
    });
    expect(s.jobs[P]!.nodes['2']).toMatchObject({ state: 'running', endedAt: 1020, durationMs: 10 });
  });

  it('executing {node:null} without an outcome flags the job for reconciliation instead of guessing', () => {
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'executing', node: '2', promptId: P },
      { type: 'executing', node: null, promptId: P },
    ]);
    expect(s.jobs[P]).toMatchObject({ status: 'running', awaitingReconciliation: true, currentNode: null });
    expect(s.runningPromptId).toBeNull();
  });

  it('previews count up with a sequence number and point at their node', () => {
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'executing', node: '2', displayNode: '2', promptId: P },
      preview1(),
      {
        type: 'preview',
        promptId: P,
        nodeId: '12:5',
        displayNodeId: '12',
        mime: 'image/png',
        bytes: new Uint8Array(),
      },
    ]);
    expect(s.jobs[P]).toMatchObject({
      previewCount: 2,
      preview: { nodeId: '12', mime: 'image/png', seq: 2, receivedAt: 1030 },
    });
  });

  it('servers without progress_state: a new executing node finishes the previous one, but not its subgraph parent', () => {
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'executing', node: '1', promptId: P },
      { type: 'executing', node: '12', promptId: P },
      { type: 'executing', node: '12:5', promptId: P },
    ]);
    const nodes = s.jobs[P]!.nodes;
    expect(nodes['1']).toMatchObject({ state: 'finished', durationMs: 10 });
    expect(nodes['12']!.state).toBe('running');
    expect(nodes['12:5']!.state).toBe('running');
  });

  it('progress_state reopens a node the executing heuristic closed (it lists every non-pending node)', () => {
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'executing', node: '4', promptId: P },
      { type: 'executing', node: '5', promptId: P }, // async nodes may run side by side
      ps(P, { '4': ['running', 2, 8], '5': ['running', 0, 1] }),
    ]);
    expect(s.jobs[P]!.nodes['4']).toMatchObject({ state: 'running', value: 2, max: 8, startedAt: 1010 });
    expect(s.jobs[P]!.nodes['4']!.endedAt).toBeUndefined();
  });
});

describe('frames without a prompt id belong to the prompt running on this stream', () => {
  it('the reconnect replay executing {node} moves the running prompt to that node', () => {
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'executing', node: '1', promptId: P },
      status(1), // reconnect: initial status
      { type: 'executing', node: '2' }, // bare replay
    ]);
    expect(s.jobs[P]!.currentNode).toBe('2');
    expect(s.jobs[P]!.nodes['2']!.state).toBe('running');
    expect(Object.keys(s.jobs)).toEqual([P]);
  });

  it('bare progress goes to the running node of the running prompt', () => {
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'executing', node: '2', promptId: P },
      { type: 'progress', value: 3, max: 9 },
    ]);
    expect(s.jobs[P]!.nodes['2']).toMatchObject({ value: 3, max: 9 });
  });

  it('with no running prompt, id-less frames change nothing', () => {
    const s = run([status(0)]);
    for (const e of [
      preview1(),
      { type: 'executing', node: '2' },
      { type: 'progress', value: 1, max: 2 },
    ] as const) {
      expect(reduceTracker(s, e, 5)).toBe(s);
    }
  });

  it('a new prompt announced by progress_state takes over the id-less frames', () => {
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'execution_success', promptId: P },
      { type: 'executing', node: null, promptId: P },
      ps(Q, { '2': ['running', 1, 8] }),
      preview1(),
    ]);
    expect(s.runningPromptId).toBe(Q);
    expect(s.jobs[Q]!.previewCount).toBe(1);
    expect(s.jobs[P]!.previewCount).toBe(0);
  });
});

describe('one prompt runs at a time', () => {
  it('a new prompt starting on the stream flags the previous unfinished one for reconciliation', () => {
    const s = run([
      ps(P, { '2': ['running', 3, 8] }),
      ps(Q, { '2': ['running', 0, 1] }), // P's end was never seen (gap, or broadcast-only)
    ]);
    expect(s.jobs[P]).toMatchObject({ status: 'running', awaitingReconciliation: true, currentNode: null });
    expect(s.jobs[Q]!.awaitingReconciliation).toBeUndefined();
    expect(s.runningPromptId).toBe(Q);
  });

  it('a progress tick naming another prompt takes that prompt as running', () => {
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'executing', node: '2', promptId: P },
      { type: 'progress', promptId: Q, node: '5', value: 1, max: 4 },
    ]);
    expect(s.runningPromptId).toBe(Q);
    expect(s.jobs[Q]!.nodes['5']).toMatchObject({ value: 1, max: 4 });
    expect(s.jobs[P]!.awaitingReconciliation).toBe(true);
  });
});

describe('the broadcast-only stream of a prompt posted without client_id', () => {
  it('shows the job running from progress, counts previews, and leaves the outcome to reconciliation', () => {
    const s = run([
      ps(Q, { '2': ['running', 0, 1] }),
      ps(Q, { '2': ['running', 1, 8] }),
      { type: 'progress', promptId: Q, node: '2', value: 1, max: 8 },
      preview1(),
      ps(Q, { '2': ['finished', 8, 8] }),
      status(0),
    ]);
    expect(s.jobs[Q]).toMatchObject({
      status: 'running',
      own: false,
      previewCount: 1,
      awaitingReconciliation: true,
      currentNode: null,
    });
    expect(s.runningPromptId).toBeNull();
    expect(s.queueRemaining).toBe(0);
  });

  it('execution_interrupted (broadcast) is still an outcome', () => {
    const s = run([ps(Q, { '2': ['running', 1, 8] }), { type: 'execution_interrupted', promptId: Q }]);
    expect(s.jobs[Q]!.status).toBe('interrupted');
  });

  it('a snapshot settles a job flagged for reconciliation', () => {
    const s = run([
      ps(Q, { '2': ['running', 1, 8] }),
      status(0),
      { type: 'local:snapshot', promptId: Q, status: 'success', outputs: { '3': { images: [] } } },
    ]);
    expect(s.jobs[Q]).toMatchObject({ status: 'success', progress: 1, outputs: { '3': { images: [] } } });
    expect(s.jobs[Q]!.awaitingReconciliation).toBeUndefined();
  });
});

describe('terminal outcomes stick', () => {
  it('live events for a finished job are ignored', () => {
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'execution_error', promptId: P, error: { message: 'x', traceback: [] } },
    ]);
    const after = run(
      [
        { type: 'execution_start', promptId: P },
        { type: 'progress', promptId: P, node: '2', value: 1, max: 2 },
        ps(P, { '2': ['running', 1, 2] }),
        { type: 'executing', node: '2', promptId: P },
        { type: 'preview', promptId: P, mime: 'image/png', bytes: new Uint8Array() },
        { type: 'execution_success', promptId: P },
      ],
      s,
    );
    expect(after.jobs[P]).toBe(s.jobs[P]);
  });

  it.each<[JobStatus, TrackerEvent, JobStatus]>([
    ['lost', { type: 'execution_success', promptId: P }, 'success'],
    ['lost', { type: 'execution_interrupted', promptId: P }, 'interrupted'],
    ['cancelled', { type: 'execution_success', promptId: P }, 'cancelled'],
  ])('a wire outcome replaces only a non-outcome: %s + %o -> %s', (from, event, expected) => {
    const s = run([{ type: 'local:snapshot', promptId: P, status: from }, event]);
    expect(s.jobs[P]!.status).toBe(expected);
  });
});

describe('snapshots from reconciliation', () => {
  const wireTo: Record<JobStatus, TrackerEvent[]> = {
    pending: [{ type: 'local:queued', promptId: P, own: true }],
    running: [{ type: 'execution_start', promptId: P }],
    success: [
      { type: 'execution_start', promptId: P },
      { type: 'execution_success', promptId: P },
    ],
    error: [{ type: 'execution_error', promptId: P, error: { message: 'm', traceback: [] } }],
    interrupted: [{ type: 'execution_interrupted', promptId: P }],
    cancelled: [
      { type: 'local:queued', promptId: P, own: true },
      { type: 'local:cancelled', promptId: P },
    ],
    lost: [{ type: 'local:snapshot', promptId: P, status: 'lost' }],
  };

  it.each<[JobStatus, JobStatus, JobStatus]>([
    ['pending', 'running', 'running'],
    ['pending', 'success', 'success'],
    ['pending', 'lost', 'lost'],
    ['running', 'pending', 'running'], // stale: never regress
    ['running', 'error', 'error'],
    ['running', 'cancelled', 'cancelled'],
    ['success', 'running', 'success'], // stale: never regress a terminal job
    ['success', 'pending', 'success'],
    ['success', 'lost', 'success'], // lost is not an outcome
    ['error', 'success', 'success'], // authoritative outcome
    ['interrupted', 'cancelled', 'interrupted'], // the jobs API reports an interrupt as cancelled
    ['interrupted', 'error', 'error'],
    ['cancelled', 'running', 'cancelled'],
    ['lost', 'success', 'success'],
    ['lost', 'running', 'lost'],
  ])('current %s + snapshot %s -> %s', (current, snap, expected) => {
    const s0 = run(wireTo[current]);
    expect(s0.jobs[P]!.status).toBe(current);
    const s = run([{ type: 'local:snapshot', promptId: P, status: snap }], s0, 5000);
    expect(s.jobs[P]!.status).toBe(expected);
  });

  it('creates an unknown job with the snapshot fields', () => {
    const error = { nodeId: '3', message: 'oops', traceback: [] };
    const s = run([
      {
        type: 'local:snapshot',
        promptId: P,
        status: 'error',
        number: 4,
        prompt: prompt3,
        error,
        startedAt: 500,
        endedAt: 900,
      },
    ]);
    expect(s.jobs[P]).toMatchObject({
      status: 'error',
      own: false,
      number: 4,
      error,
      startedAt: 500,
      endedAt: 900,
    });
    expect(s.jobs[P]!.classTypes).toEqual({ '1': 'EmptyImage', '2': 'KSampler', '3': 'SaveImage' });
  });

  it('is idempotent: the same snapshot twice returns the same state', () => {
    const snap = (): TrackerEvent => ({
      type: 'local:snapshot',
      promptId: P,
      status: 'success',
      prompt: prompt3,
      outputs: { '3': { images: [{ filename: 'a.png', subfolder: '', type: 'output' }] } },
      endedAt: 10,
    });
    const s1 = run([snap()]);
    expect(reduceTracker(s1, snap(), 9999)).toBe(s1);
  });

  it('fills error details a terminal job lacks, and leaves runningPromptId once the job ended', () => {
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'local:snapshot', promptId: P, status: 'error', error: { message: 'late', traceback: [] } },
    ]);
    expect(s.jobs[P]!.error?.message).toBe('late');
    expect(s.runningPromptId).toBeNull();
  });
});

describe('local events', () => {
  it('local:queued after the wire already started the job keeps it running and adds what it knows', () => {
    const s = run([
      { type: 'execution_start', promptId: P },
      { type: 'executing', node: '2', promptId: P },
      { type: 'local:queued', promptId: P, own: true, clientId: 'c1', number: 3, prompt: prompt3 },
    ]);
    expect(s.jobs[P]).toMatchObject({ status: 'running', own: true, clientId: 'c1', number: 3 });
    expect(s.jobs[P]!.nodes['2']!.classType).toBe('KSampler');
  });

  it('local:cancelled cancels a pending job but not one that already runs', () => {
    const pending = run([
      { type: 'local:queued', promptId: P, own: true },
      { type: 'local:cancelled', promptId: P },
    ]);
    expect(pending.jobs[P]).toMatchObject({ status: 'cancelled', endedAt: 1010 });
    const running = run([
      { type: 'execution_start', promptId: P },
      { type: 'local:cancelled', promptId: P },
    ]);
    expect(running.jobs[P]!.status).toBe('running');
  });
});

describe('progress', () => {
  const job = (
    nodes: Record<string, Partial<NodeRun>>,
    classTypes: Record<string, string> = {},
  ): JobState => ({
    ...cloneJob(run([{ type: 'execution_start', promptId: P }]).jobs[P]!),
    classTypes,
    nodes: Object.fromEntries(
      Object.entries(nodes).map(([id, n]) => [
        id,
        { nodeId: id, cached: n.state === 'cached', state: 'running', ...n },
      ]),
    ) as Record<string, NodeRun>,
  });

  it.each<[string, JobState, number]>([
    ['no nodes yet', job({}), 0],
    [
      'one finished of three prompt nodes',
      job({ '1': { state: 'finished' } }, { 1: 'a', 2: 'b', 3: 'c' }),
      1 / 3,
    ],
    ['cached counts as done', job({ '1': { state: 'cached' }, '2': { state: 'finished' } }), 1],
    ['running counts value/max', job({ '1': { value: 1, max: 4 } }), 0.25],
    ['max 0 counts nothing', job({ '1': { value: 1, max: 0 } }), 0],
    ['value above max is capped', job({ '1': { value: 9, max: 4 } }), 1],
    [
      'prompt unknown: over the nodes seen',
      job({ '1': { state: 'finished' }, '2': { value: 1, max: 2 } }),
      0.75,
    ],
  ])('%s', (_name, j, expected) => {
    expect(jobProgress(j)).toBeCloseTo(expected, 12);
  });
});

describe('JobTracker and helpers', () => {
  it('apply returns the job the event changed, and undefined when nothing changed', () => {
    const t = new JobTracker();
    expect(t.apply({ type: 'execution_start', promptId: P }, 1)).toMatchObject({
      promptId: P,
      status: 'running',
    });
    expect(t.apply({ type: 'execution_start', promptId: P }, 2)).toBeUndefined();
    expect(t.apply({ type: 'executing', node: '2' }, 3)).toMatchObject({ currentNode: '2' });
    expect(t.apply(status(2), 4)).toBeUndefined();
    expect(t.state.queueRemaining).toBe(2);
    expect(t.job(P)?.status).toBe('running');
  });

  it('changedJobs lists the jobs whose object changed', () => {
    const a = run([
      { type: 'execution_start', promptId: P },
      { type: 'execution_start', promptId: Q },
    ]);
    const b = reduceTracker(a, { type: 'executing', node: '1', promptId: Q }, 5000);
    expect(changedJobs(a, b).map((j) => j.promptId)).toEqual([Q]);
    expect(changedJobs(b, b)).toEqual([]);
  });

  it('forgetJobs drops jobs and the running id that pointed at one', () => {
    const a = run([
      { type: 'execution_start', promptId: P },
      { type: 'execution_start', promptId: Q },
    ]);
    const b = forgetJobs(a, [Q, 'nope']);
    expect(Object.keys(b.jobs)).toEqual([P]);
    expect(b.runningPromptId).toBeNull();
    expect(forgetJobs(b, ['nope'])).toBe(b);
  });

  it('cloneJob and cloneRun copy every field of a fully populated object', () => {
    const full: JobState = {
      promptId: P,
      status: 'error',
      own: true,
      clientId: 'c',
      number: 1,
      queuedAt: 1,
      startedAt: 2,
      endedAt: 3,
      updatedAt: 4,
      currentNode: null,
      progress: 0.5,
      nodes: {},
      classTypes: {},
      outputs: {},
      error: { message: 'm', traceback: [] },
      interruptedAt: {},
      preview: { mime: 'image/png', seq: 1, receivedAt: 1 },
      previewCount: 1,
      awaitingReconciliation: false,
    };
    expect(Object.keys(full).sort()).toEqual(Object.keys(JOB_KEYS).sort());
    expect(cloneJob(full)).toStrictEqual(full);
    const fullRun: NodeRun = {
      nodeId: '1',
      displayNodeId: '0',
      classType: 'K',
      state: 'finished',
      cached: false,
      startedAt: 1,
      endedAt: 2,
      durationMs: 1,
      value: 1,
      max: 1,
    };
    expect(Object.keys(fullRun).sort()).toEqual(Object.keys(RUN_KEYS).sort());
    expect(cloneRun(fullRun)).toStrictEqual(fullRun);
  });

  it('tracks ids that name Object.prototype members as ordinary ids', () => {
    const s = run([
      {
        type: 'local:queued',
        promptId: 'constructor',
        own: true,
        prompt: { toString: { class_type: 'K', inputs: {} } },
      },
      { type: 'execution_start', promptId: 'constructor' },
      { type: 'executing', node: 'toString', promptId: 'constructor' },
      { type: 'progress', node: 'toString', promptId: 'constructor', value: 1, max: 2 },
      { type: 'executing', node: 'valueOf', promptId: 'constructor' },
    ]);
    const at = <T>(rec: Record<string, T>, key: string) => rec[key];
    const job = at(s.jobs, 'constructor')!;
    expect(job.status).toBe('running');
    expect(at(job.nodes, 'toString')).toMatchObject({ state: 'finished', classType: 'K', value: 1, max: 2 });
    expect(at(job.nodes, 'valueOf')).toMatchObject({ state: 'running' });
    expect(at(job.nodes, 'valueOf')!.classType).toBeUndefined();
  });

  it('ignores ids that would reach an object prototype', () => {
    const s = run([
      { type: 'execution_start', promptId: '__proto__' },
      { type: 'execution_start', promptId: P },
      { type: 'executing', node: '__proto__', promptId: P },
      { type: 'execution_cached', promptId: P, nodes: ['__proto__'] },
      { type: 'executed', node: '__proto__', promptId: P, output: {} },
    ]);
    expect(Object.keys(s.jobs)).toEqual([P]);
    expect(Object.getPrototypeOf(s.jobs)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(s.jobs[P]!.nodes)).toBe(Object.prototype);
    expect(Object.keys(s.jobs[P]!.nodes)).toEqual([]);
  });
});

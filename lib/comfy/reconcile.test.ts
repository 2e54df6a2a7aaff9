import { describe, expect, it } from 'vitest';
import { FrameDecoder } from './decode';
import type { HistoryEntry, JobDetail, QueueItem } from './http';
import { type ReconcileHttp, reconcile } from './reconcile';
import { loadTraceLines, traceFrames, traceHistoryEntry, tracePromptId } from './testing/traces';
import { initialTrackerState, reduceTracker, type TrackerState } from './tracker';
import type { JobStatus, TrackerEvent } from './types';

const ID = 'a1b2c3d4-0000-4000-8000-000000000001';
const OTHER = 'a1b2c3d4-0000-4000-8000-000000000002';

const failEntry = traceHistoryEntry(loadTraceLines('fail')) as unknown as HistoryEntry;
const okEntry = traceHistoryEntry(loadTraceLines('ok')) as unknown as HistoryEntry;
const interruptedEntry: HistoryEntry = {
  outputs: {},
  status: {
    status_str: 'error',
    completed: false,
    messages: [
      ['execution_start', { prompt_id: ID, timestamp: 1000 }],
      [
        'execution_interrupted',
        { prompt_id: ID, node_id: '2', node_type: 'PeerSteps', executed: [], timestamp: 2000 },
      ],
    ],
  },
};

interface ServerView {
  running?: string[];
  pending?: string[];
  history?: Record<string, HistoryEntry>;
}

/** One server state, served either through /queue + /history or through the jobs API. */
function fakeHttp(view: ServerView, jobsApi: boolean): ReconcileHttp & { calls: string[] } {
  const calls: string[] = [];
  const item = (promptId: string, number: number): QueueItem => ({ promptId, number });
  const detail = (id: string): JobDetail | undefined => {
    if (view.running?.includes(id)) return { id, status: 'in_progress', priority: 1 };
    if (view.pending?.includes(id)) return { id, status: 'pending', priority: 2 };
    const h = view.history?.[id];
    if (!h) return undefined;
    const last = [...(h.status?.messages ?? [])]
      .reverse()
      .find((m) => /execution_(success|error|interrupted)/.test(String((m as unknown[])[0])));
    const kind = String((last as unknown[] | undefined)?.[0]);
    const status =
      kind === 'execution_success' ? 'completed' : kind === 'execution_error' ? 'failed' : 'cancelled';
    const d: JobDetail = { id, status, outputs: h.outputs, execution_status: h.status };
    if (kind === 'execution_error') d.execution_error = (last as [string, Record<string, unknown>])[1];
    return d;
  };
  return {
    calls,
    supportsJobs: async () => jobsApi,
    job: async (id) => {
      calls.push(`job ${id}`);
      return detail(id);
    },
    listJobs: async () => {
      calls.push('jobs');
      const ids = [...(view.running ?? []), ...(view.pending ?? [])];
      return { jobs: ids.map((id) => detail(id)!) };
    },
    queue: async () => {
      calls.push('queue');
      return {
        running: (view.running ?? []).map((id) => item(id, 1)),
        pending: (view.pending ?? []).map((id) => item(id, 2)),
      };
    },
    history: async (id) => {
      calls.push(`history ${id}`);
      return view.history?.[id];
    },
  };
}

function stateWith(status: JobStatus, promptId = ID): TrackerState {
  let s = reduceTracker(initialTrackerState, { type: 'local:queued', promptId, own: true }, 1);
  if (status !== 'pending') s = reduceTracker(s, { type: 'execution_start', promptId }, 2);
  return s;
}

function applyAll(state: TrackerState, events: TrackerEvent[], now = 10): TrackerState {
  return events.reduce((s, e) => reduceTracker(s, e, now), state);
}

const cases: {
  name: string;
  before: JobStatus;
  view: ServerView;
  after: JobStatus;
  check?: (s: TrackerState) => void;
}[] = [
  {
    name: 'finished while away: success with its outputs',
    before: 'running',
    view: { history: { [ID]: okEntry } },
    after: 'success',
    check: (s) => expect(s.jobs[ID]!.outputs).toEqual(okEntry.outputs),
  },
  {
    name: 'finished while away: error with the stored execution_error',
    before: 'running',
    view: { history: { [ID]: failEntry } },
    after: 'error',
    check: (s) =>
      expect(s.jobs[ID]!.error).toMatchObject({
        nodeId: '3',
        nodeType: 'PeerFail',
        exceptionType: 'RuntimeError',
        message: 'PeerFail: intentional failure for protocol testing\n',
      }),
  },
  {
    name: 'finished while away: interrupted (status_str says error)',
    before: 'running',
    view: { history: { [ID]: interruptedEntry } },
    after: 'interrupted',
    check: (s) => expect(s.jobs[ID]!.interruptedAt).toEqual({ nodeId: '2', nodeType: 'PeerSteps' }),
  },
  { name: 'a restart lost it: not queued, no history', before: 'running', view: {}, after: 'lost' },
  { name: 'a pending job deleted by someone', before: 'pending', view: {}, after: 'cancelled' },
  {
    name: 'pending job that ran and finished while away',
    before: 'pending',
    view: { history: { [ID]: okEntry } },
    after: 'success',
  },
  { name: 'still running', before: 'running', view: { running: [ID] }, after: 'running' },
  { name: 'pending job now running', before: 'pending', view: { running: [ID] }, after: 'running' },
  { name: 'still pending', before: 'pending', view: { pending: [ID] }, after: 'pending' },
];

describe.each([
  ['jobs API', true],
  ['/queue + /history', false],
])('reconcile via %s', (_name, jobsApi) => {
  it.each(cases)('$name → $after', async ({ before, view, after, check }) => {
    const state = stateWith(before);
    const events = await reconcile(fakeHttp(view, jobsApi), state);
    const next = applyAll(state, events);
    expect(next.jobs[ID]!.status).toBe(after);
    check?.(next);
    // idempotent: the same answer again changes nothing
    const again = await reconcile(fakeHttp(view, jobsApi), next);
    expect(applyAll(next, again, 20)).toBe(next);
  });

  it('does not ask the server about jobs that already ended, and nothing at all when none is active', async () => {
    const state = applyAll(stateWith('running'), [{ type: 'execution_success', promptId: ID }]);
    const http = fakeHttp({}, jobsApi);
    expect(await reconcile(http, state)).toEqual([]);
    expect(http.calls).toEqual([]);
  });

  it('discovers jobs queued by others without touching tracked ones', async () => {
    const state = stateWith('running');
    const events = await reconcile(fakeHttp({ running: [OTHER], pending: [ID] }, jobsApi), state, {
      discover: true,
    });
    const next = applyAll(state, events);
    expect(next.jobs[OTHER]).toMatchObject({ status: 'running', own: false });
    expect(next.jobs[ID]!.status).toBe('running'); // a snapshot never regresses a job
  });
});

describe('reconcile with the recorded no-client-id trace', () => {
  it('the job seen only through broadcasts ends in success from the recorded /history', async () => {
    const lines = loadTraceLines('no-client-id');
    const promptId = tracePromptId(lines);
    const decoder = new FrameDecoder();
    let state = reduceTracker(initialTrackerState, { type: 'local:queued', promptId, own: false }, 0);
    for (const f of traceFrames(lines, ['observer'])) {
      const e = decoder.decode(f.data);
      if (e) state = reduceTracker(state, e, f.t_ms);
    }
    // Nobody gets execution_success for a prompt without client_id: the socket alone cannot end it.
    expect(state.jobs[promptId]!.status).not.toBe('success');

    const historyLine = lines.find((l) => l.kind === 'http_response' && l.path === `/history/${promptId}`)!;
    const queueLine = lines.find((l) => l.kind === 'http_response' && l.path === '/queue')!;
    const recorded = (historyLine.body as Record<string, HistoryEntry>)[promptId]!;
    const queueBody = queueLine.body as { queue_running: unknown[]; queue_pending: unknown[] };
    expect(queueBody).toEqual({ queue_running: [], queue_pending: [] });
    const http: ReconcileHttp = {
      supportsJobs: async () => false,
      job: async () => undefined,
      listJobs: async () => ({ jobs: [] }),
      queue: async () => ({ running: [], pending: [] }),
      history: async (id) => (id === promptId ? recorded : undefined),
    };
    state = applyAll(state, await reconcile(http, state), Date.now());
    const job = state.jobs[promptId]!;
    expect(job.status).toBe('success');
    expect(job.outputs['3']).toEqual({
      images: [{ filename: 'peer_ok_00003_.png', subfolder: '', type: 'output' }],
    });
    expect(job.classTypes['2']).toBe('PeerSteps');
  });
});

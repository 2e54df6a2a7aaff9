import { describe, expect, it } from 'vitest';
import { replayTrace } from './testing/replay';
import { loadTraceLines, TRACE_NAMES, tracePromptId } from './testing/traces';
import { assertValidTrackerState } from './testing/tracker-invariants';
import type { TrackerState } from './tracker';

const SUBMITTER = ['submitter'] as const;

function replayChecked(name: string, conns: readonly string[], announce = true) {
  let prev: TrackerState | undefined;
  return replayTrace(name, {
    conns,
    announce,
    onStep: (state) => {
      assertValidTrackerState(state, prev);
      prev = state;
    },
  });
}

function onlyJob(state: TrackerState, name: string) {
  const id = tracePromptId(loadTraceLines(name));
  expect(Object.keys(state.jobs)).toEqual([id]);
  return state.jobs[id]!;
}

describe('trace replay: the submitter connection ends in the recorded outcome', () => {
  it('ok: success with 3 timed nodes, 8 previews and the saved image as output', () => {
    const { state, decoder } = replayChecked('ok', SUBMITTER);
    const job = onlyJob(state, 'ok');
    expect(job).toMatchObject({
      status: 'success',
      own: true,
      number: 0,
      progress: 1,
      currentNode: null,
      previewCount: 8,
    });
    expect(job.preview).toMatchObject({ nodeId: '2', mime: 'image/jpeg', seq: 8 });
    expect(Object.keys(job.nodes).sort()).toEqual(['1', '2', '3']);
    expect(job.classTypes).toEqual({ '1': 'EmptyImage', '2': 'PeerSteps', '3': 'SaveImage' });
    for (const n of Object.values(job.nodes)) {
      expect(n).toMatchObject({ state: 'finished', cached: false });
      expect(n.durationMs).toBe(n.endedAt! - n.startedAt!);
    }
    // PeerSteps ran 8 x 250 ms: its recorded duration reflects that, the others are near-instant
    expect(job.nodes['2']).toMatchObject({ classType: 'PeerSteps', value: 8, max: 8 });
    expect(job.nodes['2']!.durationMs).toBeGreaterThanOrEqual(1900);
    expect(job.nodes['1']!.durationMs).toBeLessThan(50);
    expect(job.outputs).toEqual({
      '3': { images: [{ filename: 'peer_ok_00001_.png', subfolder: '', type: 'output' }] },
    });
    expect(job.startedAt).toBeLessThanOrEqual(job.endedAt!);
    expect(state.runningPromptId).toBeNull();
    expect(state.queueRemaining).toBe(0);
    expect(decoder.stats).toMatchObject({ parseErrors: 0, unknownTypes: 0, unknownBinary: 0, previews: 8 });
  });

  it('ok: progress rises monotonically through the run', () => {
    const { steps } = replayChecked('ok', SUBMITTER);
    const id = tracePromptId(loadTraceLines('ok'));
    const series = steps.map((s) => s.state.jobs[id]?.progress ?? 0);
    for (let i = 1; i < series.length; i++) expect(series[i]).toBeGreaterThanOrEqual(series[i - 1]!);
    expect(series.some((p) => p > 0.4 && p < 0.7)).toBe(true); // mid-run, inside PeerSteps
  });

  it('cached: success with every node cached (zero duration) and the executed output re-sent', () => {
    const { state, decoder } = replayChecked('cached', SUBMITTER);
    const job = onlyJob(state, 'cached');
    expect(job).toMatchObject({ status: 'success', progress: 1, previewCount: 0 });
    expect(Object.keys(job.nodes).sort()).toEqual(['1', '2', '3']);
    for (const n of Object.values(job.nodes))
      expect(n).toMatchObject({ state: 'cached', cached: true, durationMs: 0 });
    expect(job.outputs['3']).toEqual({
      images: [{ filename: 'peer_ok_00001_.png', subfolder: '', type: 'output' }],
    });
    expect(decoder.stats.parseErrors).toBe(0);
  });

  it('ok-feature-flags: success with 8 type-4 previews carrying node and prompt ids', () => {
    const { state, events, decoder } = replayChecked('ok-feature-flags', SUBMITTER);
    const job = onlyJob(state, 'ok-feature-flags');
    const previews = events.filter((e) => e.type === 'preview');
    expect(previews).toHaveLength(8);
    for (const p of previews)
      expect(p).toMatchObject({ promptId: job.promptId, nodeId: '2', displayNodeId: '2' });
    expect(events.some((e) => e.type === 'feature_flags')).toBe(true);
    expect(job).toMatchObject({ status: 'success', previewCount: 8, preview: { nodeId: '2', seq: 8 } });
    expect(job.nodes['1']).toMatchObject({ state: 'cached', durationMs: 0 });
    expect(job.outputs['3']).toEqual({
      images: [{ filename: 'peer_ok_00002_.png', subfolder: '', type: 'output' }],
    });
    expect(decoder.stats).toMatchObject({ parseErrors: 0, previews: 8 });
  });

  it('fail: error at node 3 (PeerFail) with its message, exception type and traceback', () => {
    const { state } = replayChecked('fail', SUBMITTER);
    const job = onlyJob(state, 'fail');
    expect(job.status).toBe('error');
    expect(job.error).toMatchObject({
      nodeId: '3',
      nodeType: 'PeerFail',
      message: 'PeerFail: intentional failure for protocol testing\n',
      exceptionType: 'RuntimeError',
    });
    expect(job.error!.traceback.length).toBeGreaterThan(0);
    expect(job.error!.traceback.join('')).toContain('raise RuntimeError(message)');
    expect(job.nodes['3']).toMatchObject({ state: 'error', classType: 'PeerFail' });
    expect(job.nodes['2']).toMatchObject({ state: 'finished', value: 3, max: 3 });
    expect(job.nodes['4']).toBeUndefined(); // PreviewImage never ran
    expect(job.progress).toBeGreaterThan(0);
    expect(job.progress).toBeLessThan(1);
    expect(job.previewCount).toBe(3);
  });

  it('reconnect: success across the gap, with the bare replay attributed to the running prompt', () => {
    const { state, steps } = replayChecked('reconnect', ['submitter', 'submitter#2']);
    const job = onlyJob(state, 'reconnect');
    expect(job).toMatchObject({ status: 'success', progress: 1 });
    expect(job.outputs['4']).toBeDefined();
    expect(job.previewCount).toBe(9); // 3 before the gap + 6 after; the gap's previews are lost
    expect(job.nodes['2']).toMatchObject({ state: 'finished', value: 12, max: 12 });

    const i = steps.findIndex((s) => s.event?.type === 'executing' && s.event.promptId === undefined);
    expect(steps[i]!.line.conn).toBe('submitter#2');
    expect(steps[i]!.event).toEqual({ type: 'executing', node: '2' });
    const after = steps[i]!.state;
    expect(after.runningPromptId).toBe(job.promptId);
    expect(Object.keys(after.jobs)).toEqual([job.promptId]);
    expect(after.jobs[job.promptId]).toMatchObject({ status: 'running', currentNode: '2' });
    expect(after.jobs[job.promptId]!.nodes['2']).toMatchObject({ state: 'running', value: 4, max: 12 });
    // the first progress_state after the gap resynchronises the node to 7/12
    const next = steps.slice(i + 1).find((s) => s.event?.type === 'progress_state')!;
    expect(next.state.jobs[job.promptId]!.nodes['2']).toMatchObject({ value: 7, max: 12 });
  });

  it('reconnect: a fresh tracker on the second connection drops the bare replay until a frame names the prompt', () => {
    // e.g. after a service-worker restart: the prompt is known from HTTP, but nothing on this stream ran yet
    const { steps } = replayChecked('reconnect', ['submitter#2']);
    const id = tracePromptId(loadTraceLines('reconnect'));
    const i = steps.findIndex((s) => s.event?.type === 'executing' && s.event.promptId === undefined);
    expect(steps[i]!.state).toBe(steps[i - 1]!.state); // no change, no stray job
    expect(steps[i]!.state.jobs[id]?.status).toBe('pending');
    expect(steps.at(-1)!.state.jobs[id]).toMatchObject({ status: 'success' });
  });
});

describe('trace replay: the broadcast-only stream of a prompt posted without client_id', () => {
  it.each(['submitter', 'observer'])(
    '%s sees it running from progress, counts previews, and never marks it success',
    (conn) => {
      const { state, steps, decoder } = replayChecked('no-client-id', [conn], false);
      const job = onlyJob(state, 'no-client-id');
      const sawRunning = steps.some((s) => s.state.jobs[job.promptId]?.status === 'running');
      expect(sawRunning).toBe(true);
      expect(job.status).toBe('running'); // the outcome is for reconciliation, not a guess
      expect(job.awaitingReconciliation).toBe(true); // status queue_remaining 0 arrived
      expect(job.own).toBe(false);
      expect(job.previewCount).toBe(8);
      expect(job.preview).toMatchObject({ seq: 8, mime: 'image/jpeg' });
      expect(job.nodes['2']).toMatchObject({ value: 8, max: 8 });
      expect(job.currentNode).toBeNull();
      expect(state.runningPromptId).toBeNull();
      expect(state.queueRemaining).toBe(0);
      expect(decoder.stats.parseErrors).toBe(0);
    },
  );
});

describe('trace replay: every connection of every trace', () => {
  it.each(TRACE_NAMES)('%s: every frame on every connection keeps the tracker valid', (name) => {
    const lines = loadTraceLines(name);
    const conns = [...new Set(lines.map((l) => l.conn))];
    const { decoder } = replayChecked(name, conns);
    expect(decoder.stats.parseErrors).toBe(0);
  });
});

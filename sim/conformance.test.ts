/**
 * The simulator against the real ComfyUI 0.3.64 traces: for every scenario in fixtures/traces, record the
 * same roles against a fresh simulator (the TypeScript port of record.py) and compare with the TypeScript
 * port of conformance.py. Time is scaled down where that cannot change the event sequence.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from './index';
import {
  collapse,
  compareTraces,
  tokenOf,
  withFeatureFlags,
  withObserver,
  withoutClientId,
} from './testing/conformance';
import { loadTrace, loadWorkflow } from './testing/fixtures';
import { type RecordOptions, record, type TraceLine } from './testing/recorder';

type Scenario = {
  trace: string;
  /** For a role the traces do not record: the reference derived from `trace` (see testing/conformance). */
  derive?: { name: string; from: (lines: TraceLine[]) => TraceLine[] };
  workflow: string;
  /** Workflows run to completion first, as on the real server (the traces were recorded in sequence). */
  prime: string[];
  options: Partial<RecordOptions>;
  loose?: boolean;
  timeScale: number;
};

const fast = { settleMs: 150, lingerMs: 250, historyPollMs: 100, historyGraceMs: 400 } as const;

const scenarios: Scenario[] = [
  { trace: 'ok', workflow: 'ok', prime: [], options: {}, timeScale: 0.1 },
  { trace: 'cached', workflow: 'cached', prime: ['ok'], options: {}, timeScale: 0.1 },
  {
    trace: 'ok-feature-flags',
    workflow: 'ok',
    prime: ['ok'],
    options: { set: { '2.seed': 1 }, featureFlags: { supports_preview_metadata: true } },
    timeScale: 0.1,
  },
  { trace: 'fail', workflow: 'fail', prime: ['ok'], options: {}, timeScale: 0.1 },
  {
    trace: 'no-client-id',
    workflow: 'ok',
    prime: ['ok'],
    options: { set: { '2.seed': 5 }, observer: true, noClientId: true },
    timeScale: 0.1,
  },
  {
    trace: 'reconnect',
    workflow: 'slow',
    prime: ['ok'],
    // 12 steps x 100 ms; drop after progress 4, come back 250 ms later while node 2 still runs.
    options: { set: { '2.steps': 12, '2.seed': 3 }, reconnectAfter: 4, reconnectGapMs: 250 },
    loose: true,
    timeScale: 0.2,
  },
];

const featureFlagsReply = loadTrace('ok-feature-flags').find(
  (l) => l.kind === 'text' && (l.msg as { type?: string }).type === 'feature_flags',
)!;
const ff = { featureFlags: { supports_preview_metadata: true } };
const flagged = { name: 'feature flags', from: (l: TraceLine[]) => withFeatureFlags(l, featureFlagsReply) };
const observed = { name: 'observer', from: withObserver };
const broadcastOnly = { name: 'no client_id and an observer', from: withoutClientId };
const noClientId = { observer: true, noClientId: true };

// Roles the traces do not record for these workflows, checked against derived references.
const derived: Scenario[] = [
  {
    trace: 'fail',
    derive: broadcastOnly,
    workflow: 'fail',
    prime: ['ok'],
    options: noClientId,
    timeScale: 0.1,
  },
  {
    trace: 'cached',
    derive: broadcastOnly,
    workflow: 'cached',
    prime: ['ok'],
    options: noClientId,
    timeScale: 0.1,
  },
  { trace: 'fail', derive: flagged, workflow: 'fail', prime: ['ok'], options: ff, timeScale: 0.1 },
  { trace: 'cached', derive: flagged, workflow: 'cached', prime: ['ok'], options: ff, timeScale: 0.1 },
  { trace: 'ok', derive: observed, workflow: 'ok', prime: [], options: { observer: true }, timeScale: 0.1 },
  {
    trace: 'fail',
    derive: observed,
    workflow: 'fail',
    prime: ['ok'],
    options: { observer: true },
    timeScale: 0.1,
  },
  {
    trace: 'cached',
    derive: observed,
    workflow: 'cached',
    prime: ['ok'],
    options: { observer: true },
    timeScale: 0.1,
  },
];

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function prime(s: Simulator, workflows: string[]): Promise<void> {
  for (const w of workflows) {
    const r = await s.submit({ prompt: loadWorkflow(w) });
    expect(r.status).toBe(200);
    await s.waitForIdle();
  }
}

/** Records the scenario against a fresh simulator and compares it with the (possibly derived) reference. */
async function conforms({ trace, derive, workflow, prime: before, options, loose, timeScale }: Scenario) {
  sim = await startSimulator({ port: 0, timeScale });
  await prime(sim, before);
  const rec = await record({ baseUrl: sim.url, workflow: loadWorkflow(workflow), ...fast, ...options });
  const reference = derive ? derive.from(loadTrace(trace)) : loadTrace(trace);
  const report = compareTraces(reference, rec.lines, loose);
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
}

describe('simulator conforms to the real ComfyUI traces', () => {
  it.each(scenarios)('$trace', conforms);
});

/** Milliseconds from execution_start to each progress frame and to execution_success, on the submitter. */
function timeline(lines: TraceLine[]): { progress: number[]; success: number } {
  const text = lines.filter((l) => l.conn === 'submitter' && l.kind === 'text');
  const at = (type: string) => text.find((l) => (l.msg as { type: string }).type === type)!.t_ms;
  const t0 = at('execution_start');
  const progress = text
    .filter((l) => (l.msg as { type: string }).type === 'progress')
    .map((l) => l.t_ms - t0);
  return { progress, success: at('execution_success') - t0 };
}

describe('simulator timing', () => {
  it('runs ok.json at the real pace: PeerSteps ticks every 250 ms, success after about 2.1 s', async () => {
    sim = await startSimulator({ port: 0 });
    const rec = await record({ baseUrl: sim.url, workflow: loadWorkflow('ok'), ...fast });
    const real = timeline(loadTrace('ok'));
    const ours = timeline(rec.lines);
    expect(ours.progress).toHaveLength(real.progress.length);
    // Timers only ever fire late, so the lower bound is tight and the upper one allows a loaded machine.
    ours.progress.forEach((t, i) => {
      expect(t).toBeGreaterThanOrEqual(real.progress[i]! * 0.95);
      expect(t).toBeLessThanOrEqual(real.progress[i]! * 1.5 + 100);
    });
    expect(ours.success).toBeGreaterThanOrEqual(real.success * 0.9);
    expect(ours.success).toBeLessThanOrEqual(real.success * 1.5 + 100);
  });
});

/** Per connection, the lines from the first sampler step on (the step's progress_state and after). */
function fromFirstStep(lines: TraceLine[]): TraceLine[] {
  return [...new Set(lines.map((l) => l.conn))].flatMap((conn) => {
    const own = lines.filter((l) => l.conn === conn);
    const first = own.findIndex((l) => tokenOf(l)?.startsWith('bin'));
    return first < 0 ? own : own.slice(first - 1);
  });
}

describe('simulator conforms to references derived for roles the traces do not record', () => {
  it('derives ok-feature-flags from ok (the rule, checked on real data)', () => {
    // ok-feature-flags ran after ok, so its node 1 was cached: compare what the flags change, the
    // greeting up to execution_cached and everything from the first sampler step on.
    const real = loadTrace('ok-feature-flags');
    const derivedLines = withFeatureFlags(loadTrace('ok'), featureFlagsReply);
    const upToCached = (l: TraceLine[]) =>
      l.slice(0, l.findIndex((x) => tokenOf(x) === 'execution_cached') + 1);
    expect(compareTraces(upToCached(real), upToCached(derivedLines)).problems).toEqual([]);
    expect(compareTraces(fromFirstStep(real), fromFirstStep(derivedLines)).problems).toEqual([]);
    // and the derivation is not vacuous: the untouched ok trace differs in exactly those parts
    expect(compareTraces(upToCached(real), upToCached(loadTrace('ok'))).ok).toBe(false);
    expect(compareTraces(fromFirstStep(real), fromFirstStep(loadTrace('ok'))).ok).toBe(false);
  });

  it('derives no-client-id from ok (the rule, checked on real data)', () => {
    // no-client-id ran after ok, so its node 1 was cached: compare the greeting and queue broadcasts,
    // and everything from the first sampler step on.
    const real = loadTrace('no-client-id');
    const derivedLines = withoutClientId(loadTrace('ok'));
    const greeting = (l: TraceLine[]) => l.filter((x) => tokenOf(x)?.startsWith('status'));
    expect(compareTraces(greeting(real), greeting(derivedLines)).problems).toEqual([]);
    expect(compareTraces(fromFirstStep(real), fromFirstStep(derivedLines)).problems).toEqual([]);
    expect(compareTraces(fromFirstStep(real), fromFirstStep(withObserver(loadTrace('ok')))).ok).toBe(false);
  });

  it.each(derived)('$trace with $derive.name', conforms);
});

describe('the TypeScript conformance comparator', () => {
  const ok = loadTrace('ok');

  it('accepts a trace compared with itself', () => {
    expect(compareTraces(ok, ok)).toEqual({ ok: true, problems: [] });
  });

  it('rejects a different scenario', () => {
    const report = compareTraces(ok, loadTrace('fail'));
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatch(/^submitter: sequences differ at step/);
  });

  it('counts run lengths strictly but not in loose mode', () => {
    const firstProgress = ok.findIndex((l) => tokenOf(l) === 'progress');
    const doubled = [...ok.slice(0, firstProgress + 1), ok[firstProgress]!, ...ok.slice(firstProgress + 1)];
    expect(compareTraces(ok, doubled).ok).toBe(false);
    expect(compareTraces(ok, doubled, true).ok).toBe(true);
  });

  it('reports a field missing from an event', () => {
    const stripped = ok.map((l): TraceLine => {
      const msg = l.msg as { type?: string; data?: Record<string, unknown> } | undefined;
      if (l.kind !== 'text' || msg?.type !== 'execution_start') return l;
      const { timestamp: _omit, ...data } = msg.data ?? {};
      return { ...l, msg: { ...msg, data } };
    });
    expect(compareTraces(ok, stripped).problems).toEqual([
      'submitter execution_start: fields missing in candidate: ["timestamp"]',
    ]);
  });

  it('reports a field the real trace does not have', () => {
    const padded = ok.map((l): TraceLine => {
      const msg = l.msg as { type?: string; data?: Record<string, unknown> } | undefined;
      if (l.kind !== 'text' || msg?.type !== 'execution_start') return l;
      return { ...l, msg: { ...msg, data: { ...msg.data, extra: 1 } } };
    });
    expect(compareTraces(ok, padded).problems).toEqual([
      'submitter execution_start: fields not in the real trace: ["extra"]',
    ]);
  });

  it('skips the dropped first connection of a reconnect in loose mode only', () => {
    const trace = loadTrace('reconnect');
    const withoutFirst = trace.filter((l) => l.conn !== 'submitter');
    expect(compareTraces(trace, withoutFirst, true).ok).toBe(true);
    expect(compareTraces(trace, withoutFirst).ok).toBe(false);
  });

  it('collapses runs', () => {
    expect(collapse(['a', 'a', 'b', 'a'])).toEqual([
      ['a', 2],
      ['b', 1],
      ['a', 1],
    ]);
  });
});

/**
 * The job tracker: a pure reducer from `TrackerEvent`s (wire events and local events) to job state.
 *
 * Invariants:
 * - `reduceTracker` never mutates its input and returns the same reference when nothing changed, so
 *   consumers can compare by reference. Only the changed job (and its changed node) are copied.
 * - A terminal job stays terminal. Live-progress events for it are ignored; a wire outcome may only
 *   replace `lost` (a non-outcome); a snapshot's outcome is authoritative except that `lost` never
 *   replaces a real outcome and `cancelled` does not replace `interrupted` (the jobs API reports an
 *   interrupt as cancelled). Non-terminal snapshots never regress a job.
 * - Times are the caller's `now` (local receive time), never the server's timestamps, so durations do
 *   not suffer clock skew. Snapshots may fill start/end times that were never observed.
 *
 * Two streams are handled (comfyui-protocol.md §12): the full stream of a prompt submitted with our client
 * id, and the broadcast-only stream of a prompt posted without one (progress, progress_state, type-1
 * previews, execution_interrupted, status). Frames without a prompt id (type-1 previews, the reconnect
 * replay `executing {node}`, bare progress) belong to the prompt running on this stream.
 */

import { jobProgress, type NodeTally, rememberTally, retally, tallyOf } from './tracker-progress';
import { cloneJob, cloneRun, entry, UNSAFE_KEY } from './tracker-records';
import {
  type ApiPrompt,
  type ComfyEvent,
  isTerminal,
  type JobState,
  type JobStatus,
  type LocalEvent,
  type NodeId,
  type NodeProgressState,
  type NodeRun,
  type TrackerEvent,
} from './types';

export { jobProgress } from './tracker-progress';
export { cloneJob, cloneRun, JOB_KEYS, RUN_KEYS } from './tracker-records';

export interface TrackerState {
  jobs: Record<string, JobState>;
  /** The prompt the server is executing, as far as this stream shows; owner of events without an id. */
  runningPromptId: string | null;
  /** From the latest `status` frame; null before the first. */
  queueRemaining: number | null;
}

export const initialTrackerState: TrackerState = Object.freeze({
  jobs: Object.freeze({}) as Record<string, JobState>,
  runningPromptId: null,
  queueRemaining: null,
});

export function newJob(promptId: string, now: number): JobState {
  return {
    promptId,
    status: 'pending',
    own: false,
    updatedAt: now,
    currentNode: null,
    progress: 0,
    nodes: {},
    classTypes: {},
    outputs: {},
    previewCount: 0,
  };
}

/**
 * Copy-on-write editor for one job: the first write copies the job, the first node write copies the
 * node map. `commit` returns the base itself when nothing was written.
 */
class JobDraft {
  job: JobState;
  private copied = false;
  /** Set once the node map is copied: the copy's progress tally, kept in step with each write. */
  private tally: NodeTally | null = null;

  constructor(
    readonly base: JobState,
    readonly isNew: boolean,
  ) {
    this.job = base;
  }

  get changed(): boolean {
    return this.copied;
  }

  private own(): JobState {
    if (!this.copied) {
      this.job = cloneJob(this.base);
      this.copied = true;
    }
    return this.job;
  }

  set<K extends keyof JobState>(key: K, value: JobState[K]): void {
    if (Object.is(this.job[key], value)) return;
    this.own()[key] = value;
  }

  unset(key: 'awaitingReconciliation'): void {
    if (this.job[key] === undefined) return;
    delete this.own()[key];
  }

  node(id: NodeId): NodeRun | undefined {
    return entry(this.job.nodes, id);
  }

  /** Writes a node run if it differs from the current one in any field. */
  setNode(run: NodeRun): void {
    if (run.nodeId === UNSAFE_KEY) return;
    const cur = entry(this.job.nodes, run.nodeId);
    if (cur && sameRun(cur, run)) return;
    const job = this.own();
    if (!this.tally) {
      this.tally = tallyOf(job.nodes);
      job.nodes = { ...job.nodes };
    }
    this.tally = retally(this.tally, cur, run);
    job.nodes[run.nodeId] = run;
    rememberTally(job.nodes, this.tally);
  }

  commit(now: number): JobState {
    if (!this.copied && !this.isNew) return this.base;
    const job = this.own();
    job.updatedAt = now;
    job.progress = jobProgress(job);
    return job;
  }
}

function sameRun(a: NodeRun, b: NodeRun): boolean {
  return (
    a.state === b.state &&
    a.value === b.value &&
    a.max === b.max &&
    a.startedAt === b.startedAt &&
    a.endedAt === b.endedAt &&
    a.durationMs === b.durationMs &&
    a.cached === b.cached &&
    a.displayNodeId === b.displayNodeId &&
    a.classType === b.classType
  );
}

type RunFields = Pick<NodeRun, 'startedAt' | 'endedAt' | 'durationMs' | 'value' | 'max' | 'displayNodeId'>;

/**
 * Builds a node run with only defined fields. Times are exactly those given (a state change decides
 * them); value, max, display id and class type carry over from `prev` unless given.
 */
function makeRun(
  nodeId: NodeId,
  state: NodeRun['state'],
  prev: NodeRun | undefined,
  classType: string | undefined,
  f: RunFields,
): NodeRun {
  const r: NodeRun = { nodeId, state, cached: state === 'cached' };
  const display = f.displayNodeId ?? prev?.displayNodeId;
  if (display !== undefined && display !== nodeId) r.displayNodeId = display;
  const ct = classType ?? prev?.classType;
  if (ct !== undefined) r.classType = ct;
  if (f.startedAt !== undefined) r.startedAt = f.startedAt;
  if (f.endedAt !== undefined) r.endedAt = f.endedAt;
  if (f.durationMs !== undefined) r.durationMs = f.durationMs;
  const value = f.value ?? prev?.value;
  if (value !== undefined) r.value = value;
  const max = f.max ?? prev?.max;
  if (max !== undefined) r.max = max;
  return r;
}

/** Start and end of a run that stops now; no duration when its start was never seen. */
function ended(prev: NodeRun | undefined, now: number): RunFields {
  const startedAt = prev?.startedAt;
  return startedAt === undefined
    ? { endedAt: now }
    : { startedAt, endedAt: now, durationMs: Math.max(0, now - startedAt) };
}

/** The times a finished run keeps. */
function keptTimes(prev: NodeRun): RunFields {
  const f: RunFields = {};
  if (prev.startedAt !== undefined) f.startedAt = prev.startedAt;
  if (prev.endedAt !== undefined) f.endedAt = prev.endedAt;
  if (prev.durationMs !== undefined) f.durationMs = prev.durationMs;
  return f;
}

const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Per-call context: the state being reduced and the pending runningPromptId change. */
class Reduction {
  running: string | null;
  private jobs: Record<string, JobState> | null = null;

  constructor(
    readonly state: TrackerState,
    readonly now: number,
  ) {
    this.running = state.runningPromptId;
  }

  draft(promptId: string, create: boolean): JobDraft | null {
    const cur = entry(this.jobs ?? this.state.jobs, promptId);
    if (cur) return new JobDraft(cur, false);
    return create ? new JobDraft(newJob(promptId, this.now), true) : null;
  }

  /**
   * The job a frame is about: the one it names (created on first sight), else the one running here.
   * An id-less frame never creates a job, since it cannot say which prompt it belongs to.
   */
  draftFor(promptId: string | undefined): JobDraft | null {
    const pid = promptId ?? this.running;
    return pid === null ? null : this.draft(pid, promptId !== undefined);
  }

  put(d: JobDraft): void {
    const job = d.commit(this.now);
    if (job === d.base && !d.isNew) return;
    if (!this.jobs) this.jobs = { ...this.state.jobs };
    this.jobs[job.promptId] = job;
  }

  /** Applies `edit` to each job that passes `pick` (rare, whole-table events only). */
  each(pick: (j: JobState) => boolean, edit: (d: JobDraft) => void): void {
    for (const id in this.state.jobs) {
      const j = this.state.jobs[id]!;
      if (!pick(j)) continue;
      const d = new JobDraft(j, false);
      edit(d);
      this.put(d);
    }
  }

  /**
   * ComfyUI executes one prompt at a time: when the stream names a new running prompt, the previous
   * one has ended. If no outcome reached us (a reconnect gap, a broadcast-only stream), flag it.
   */
  private supersede(): void {
    const prev = this.state.runningPromptId;
    if (prev === null || this.running === null || this.running === prev) return;
    const d = this.draft(prev, false);
    if (!d || isTerminal(d.job.status) || d.job.awaitingReconciliation) return;
    d.set('currentNode', null);
    d.set('awaitingReconciliation', true);
    this.put(d);
  }

  result(queueRemaining: number | null = this.state.queueRemaining): TrackerState {
    this.supersede();
    if (
      !this.jobs &&
      this.running === this.state.runningPromptId &&
      queueRemaining === this.state.queueRemaining
    ) {
      return this.state;
    }
    return { jobs: this.jobs ?? this.state.jobs, runningPromptId: this.running, queueRemaining };
  }
}

/** pending -> running on the first sign of execution; never touches terminal jobs. */
function markRunning(d: JobDraft, now: number): void {
  if (d.job.status !== 'pending') return;
  d.set('status', 'running');
  if (d.job.startedAt === undefined) d.set('startedAt', now);
  d.unset('awaitingReconciliation');
}

/** Stops the clock on nodes still running when the job ends; a success also finishes them. */
function closeRunningNodes(d: JobDraft, now: number, asFinished: boolean): void {
  for (const id in d.job.nodes) {
    const n = d.job.nodes[id]!;
    if (n.state !== 'running' || n.endedAt !== undefined) continue;
    d.setNode(makeRun(id, asFinished ? 'finished' : 'running', n, undefined, ended(n, now)));
  }
}

function enterTerminal(d: JobDraft, status: JobStatus, now: number, endedAt?: number): void {
  d.set('status', status);
  d.set('endedAt', endedAt ?? d.job.endedAt ?? now);
  d.set('currentNode', null);
  d.unset('awaitingReconciliation');
  closeRunningNodes(d, now, status === 'success');
}

/** A wire outcome: decides the job unless it already has a real one. */
function wireOutcome(d: JobDraft, status: JobStatus, now: number): boolean {
  const cur = d.job.status;
  if (isTerminal(cur) && cur !== 'lost') return cur === status;
  enterTerminal(d, status, now);
  return true;
}

function applyPrompt(d: JobDraft, prompt: ApiPrompt | undefined): void {
  if (!prompt || typeof prompt !== 'object') return;
  let classTypes: Record<NodeId, string> | null = null;
  for (const id in prompt) {
    if (id === UNSAFE_KEY) continue;
    const ct = prompt[id]?.class_type;
    if (typeof ct !== 'string' || entry(d.job.classTypes, id) === ct) continue;
    classTypes ??= { ...d.job.classTypes };
    classTypes[id] = ct;
  }
  if (!classTypes) return;
  d.set('classTypes', classTypes);
  for (const id in d.job.nodes) {
    const n = d.job.nodes[id]!;
    const ct = entry(classTypes, id);
    if (ct === undefined || n.classType === ct) continue;
    const c = cloneRun(n);
    c.classType = ct;
    d.setNode(c);
  }
}

/** The node id an event names, or the node this job is running when it names none. */
function runningNodeOf(d: JobDraft): NodeId | undefined {
  const cur = d.job.currentNode;
  if (cur !== null && d.node(cur)?.state === 'running') return cur;
  for (const id in d.job.nodes) if (d.job.nodes[id]!.state === 'running') return id;
  return undefined;
}

/** True when `node` is `ancestor` or lies inside it (subgraph colon paths such as "12:5"). */
function within(node: NodeId, ancestor: NodeId): boolean {
  return node === ancestor || node.startsWith(`${ancestor}:`);
}

/** `executing` names a node: it runs from now unless it already ran (cached, finished, error). */
function startNode(d: JobDraft, id: NodeId, now: number, displayNodeId: NodeId | undefined): void {
  const n = d.node(id);
  if (n && n.state !== 'running') return;
  const f: RunFields = { startedAt: n?.startedAt ?? now };
  if (displayNodeId !== undefined) f.displayNodeId = displayNodeId;
  d.setNode(makeRun(id, 'running', n, entry(d.job.classTypes, id), f));
}

// ---- wire events ----------------------------------------------------------------------------------

function onExecuting(r: Reduction, e: Extract<ComfyEvent, { type: 'executing' }>): void {
  const d = r.draftFor(e.promptId);
  if (!d) return;
  const pid = d.job.promptId;
  if (e.node === null) {
    // The canonical end: the outcome came before it, or was lost (e.g. during a reconnect gap).
    if (!isTerminal(d.job.status)) {
      d.set('currentNode', null);
      closeRunningNodes(d, r.now, false);
      d.set('awaitingReconciliation', true);
    }
    if (r.running === pid) r.running = null;
    r.put(d);
    return;
  }
  r.running = pid;
  if (isTerminal(d.job.status)) {
    r.put(d);
    return;
  }
  markRunning(d, r.now);
  // Servers before progress_state (Jul 2025) only say which node starts: that ends the previous one,
  // unless the new node lies inside it (a subgraph parent stays open while its children run).
  for (const id in d.job.nodes) {
    const n = d.job.nodes[id]!;
    if (n.state === 'running' && !within(e.node, id)) {
      d.setNode(makeRun(id, 'finished', n, undefined, ended(n, r.now)));
    }
  }
  startNode(d, e.node, r.now, e.displayNode);
  d.set('currentNode', e.displayNode ?? d.node(e.node)?.displayNodeId ?? e.node);
  r.put(d);
}

function onProgress(r: Reduction, e: Extract<ComfyEvent, { type: 'progress' }>): void {
  const d = r.draftFor(e.promptId);
  if (!d) return;
  r.running = d.job.promptId;
  if (isTerminal(d.job.status)) {
    r.put(d);
    return;
  }
  markRunning(d, r.now);
  const id = e.node ?? runningNodeOf(d);
  if (id !== undefined && isFiniteNumber(e.value) && isFiniteNumber(e.max)) {
    const n = d.node(id);
    if (!n || n.state === 'running') {
      const f: RunFields = { startedAt: n?.startedAt ?? r.now, value: e.value, max: e.max };
      d.setNode(makeRun(id, 'running', n, entry(d.job.classTypes, id), f));
      d.set('currentNode', d.node(id)?.displayNodeId ?? id);
    }
  }
  r.put(d);
}

/**
 * The steady state of a sampler, one call per step: a tick for a node already running in a running
 * job. Same result as `onProgress` (pinned by a property test against `reduceTrackerGeneral`), built
 * straight from spreads without the draft machinery; anything else takes the general path.
 */
function progressTick(
  state: TrackerState,
  e: Extract<ComfyEvent, { type: 'progress' }>,
  now: number,
): TrackerState | null {
  const pid = state.runningPromptId;
  // Only ticks of the prompt already running here; a switch of prompt takes the general path.
  // (Using the stored id rather than the frame's fresh copy also lets V8 skip re-hashing the key.)
  if (pid === null || (e.promptId !== undefined && e.promptId !== pid)) return null;
  if (e.node === undefined || !isFiniteNumber(e.value) || !isFiniteNumber(e.max)) return null;
  // Plain lookups, then checks an inherited member (ids like "constructor") cannot pass.
  const job = state.jobs[pid];
  if (job === undefined || job.promptId !== pid || job.status !== 'running') return null;
  const n = job.nodes[e.node];
  if (n === undefined || n.nodeId !== e.node || n.state !== 'running') return null;
  const currentNode = n.displayNodeId ?? e.node;
  if (n.value === e.value && n.max === e.max) return job.currentNode === currentNode ? state : null;
  const node = cloneRun(n);
  node.value = e.value;
  node.max = e.max;
  const nodes = { ...job.nodes };
  nodes[e.node] = node;
  rememberTally(nodes, tallyOf(job.nodes)); // a running node stays running: same counts
  const next = cloneJob(job);
  next.nodes = nodes;
  next.currentNode = currentNode;
  next.updatedAt = now;
  next.progress = jobProgress(next);
  const jobs = { ...state.jobs };
  jobs[pid] = next;
  return { jobs, runningPromptId: pid, queueRemaining: state.queueRemaining };
}

function onProgressState(r: Reduction, e: Extract<ComfyEvent, { type: 'progress_state' }>): void {
  const d = r.draft(e.promptId, true)!;
  r.running = e.promptId;
  if (isTerminal(d.job.status)) {
    r.put(d);
    return;
  }
  markRunning(d, r.now);
  let current: NodeId | null = null;
  for (const key in e.nodes) {
    const p = e.nodes[key]!;
    applyNodeState(d, key, p, r.now);
    if (p.state === 'running') current = p.displayNodeId ?? key;
  }
  // The frame lists every non-pending node, so no running node in it means none is executing.
  d.set('currentNode', current);
  r.put(d);
}

/**
 * progress_state is authoritative for the nodes it lists (one frame resynchronises everything), so it
 * may reopen a node an `executing` heuristic closed; only cached and errored nodes are settled.
 */
function applyNodeState(d: JobDraft, id: NodeId, p: NodeProgressState, now: number): void {
  if (!isFiniteNumber(p.value) || !isFiniteNumber(p.max)) return;
  const n = d.node(id);
  if (n?.state === 'cached' || n?.state === 'error') return;
  // Most entries of a frame repeat what we hold (finished nodes, the running one between ticks).
  if (
    n !== undefined &&
    n.state === p.state &&
    n.value === p.value &&
    n.max === p.max &&
    (p.displayNodeId === undefined || p.displayNodeId === id || p.displayNodeId === n.displayNodeId)
  ) {
    return;
  }
  const ct = entry(d.job.classTypes, id);
  const f: RunFields = { value: p.value, max: p.max };
  if (p.displayNodeId !== undefined) f.displayNodeId = p.displayNodeId;
  switch (p.state) {
    case 'running':
      f.startedAt = n?.startedAt ?? now;
      d.setNode(makeRun(id, 'running', n, ct, f));
      return;
    case 'finished':
      d.setNode(
        makeRun(id, 'finished', n, ct, { ...f, ...(n?.state === 'finished' ? keptTimes(n) : ended(n, now)) }),
      );
      return;
    case 'error':
      d.setNode(makeRun(id, 'error', n, ct, { ...f, ...ended(n, now) }));
      return;
    default:
      return; // 'pending' is filtered by the server; unknown states carry no usable meaning
  }
}

function onCached(r: Reduction, e: Extract<ComfyEvent, { type: 'execution_cached' }>): void {
  const d = r.draft(e.promptId, true)!;
  r.running = e.promptId;
  if (!isTerminal(d.job.status)) {
    markRunning(d, r.now);
    for (const id of e.nodes) {
      const n = d.node(id);
      if (n?.state === 'cached') continue;
      d.setNode(
        makeRun(id, 'cached', n, entry(d.job.classTypes, id), {
          startedAt: r.now,
          endedAt: r.now,
          durationMs: 0,
        }),
      );
    }
  }
  r.put(d);
}

function onPreview(r: Reduction, e: Extract<ComfyEvent, { type: 'preview' }>): void {
  const d = r.draftFor(e.promptId);
  if (!d || isTerminal(d.job.status)) return;
  if (e.promptId !== undefined) r.running = d.job.promptId;
  markRunning(d, r.now);
  const seq = d.job.previewCount + 1;
  d.set('previewCount', seq);
  const nodeId = e.displayNodeId ?? e.nodeId ?? d.job.currentNode ?? undefined;
  d.set(
    'preview',
    nodeId === undefined
      ? { mime: e.mime, seq, receivedAt: r.now }
      : { nodeId, mime: e.mime, seq, receivedAt: r.now },
  );
  r.put(d);
}

function onExecuted(r: Reduction, e: Extract<ComfyEvent, { type: 'executed' }>): void {
  if (e.output === null || e.node === UNSAFE_KEY) return;
  const d = r.draftFor(e.promptId);
  if (!d) return;
  d.set('outputs', { ...d.job.outputs, [e.node]: e.output });
  r.put(d);
}

function onSuccess(r: Reduction, e: Extract<ComfyEvent, { type: 'execution_success' }>): void {
  const d = r.draft(e.promptId, true)!;
  wireOutcome(d, 'success', r.now);
  r.put(d);
}

function onError(r: Reduction, e: Extract<ComfyEvent, { type: 'execution_error' }>): void {
  const d = r.draft(e.promptId, true)!;
  if (wireOutcome(d, 'error', r.now)) {
    if (!d.job.error || !sameValue(d.job.error, e.error)) d.set('error', e.error);
    const id = e.error.nodeId;
    if (id !== undefined) {
      const n = d.node(id);
      if (n?.state !== 'error') {
        const times = n?.endedAt === undefined ? ended(n, r.now) : keptTimes(n);
        d.setNode(makeRun(id, 'error', n, entry(d.job.classTypes, id) ?? e.error.nodeType, times));
      }
    }
  }
  r.put(d);
}

function onInterrupted(r: Reduction, e: Extract<ComfyEvent, { type: 'execution_interrupted' }>): void {
  const d = r.draft(e.promptId, true)!;
  if (wireOutcome(d, 'interrupted', r.now) && !d.job.interruptedAt) {
    const at: { nodeId?: NodeId; nodeType?: string } = {};
    if (e.nodeId !== undefined) at.nodeId = e.nodeId;
    if (e.nodeType !== undefined) at.nodeType = e.nodeType;
    d.set('interruptedAt', at);
  }
  r.put(d);
}

function onStatus(r: Reduction, e: Extract<ComfyEvent, { type: 'status' }>): TrackerState {
  if (!isFiniteNumber(e.queueRemaining)) return r.state;
  if (e.queueRemaining === 0) {
    // An empty queue means nothing runs: any job we still think is live ended (or was deleted) without
    // an outcome reaching this stream. Only HTTP can tell which; flag it, never guess success.
    r.running = null;
    r.each(
      (j) => !isTerminal(j.status) && !j.awaitingReconciliation,
      (d) => {
        d.set('currentNode', null);
        d.set('awaitingReconciliation', true);
      },
    );
  }
  return r.result(e.queueRemaining);
}

// ---- local events ---------------------------------------------------------------------------------

function onQueued(r: Reduction, e: Extract<LocalEvent, { type: 'local:queued' }>): void {
  const d = r.draft(e.promptId, true)!;
  if (e.own && !d.job.own) d.set('own', true);
  if (e.clientId !== undefined && d.job.clientId === undefined) d.set('clientId', e.clientId);
  if (e.number !== undefined && isFiniteNumber(e.number)) d.set('number', e.number);
  if (d.job.queuedAt === undefined) d.set('queuedAt', r.now);
  applyPrompt(d, e.prompt);
  r.put(d);
}

/** Snapshot outcome policy (see the module comment). */
function snapshotStatus(d: JobDraft, s: Extract<LocalEvent, { type: 'local:snapshot' }>, now: number): void {
  const cur = d.job.status;
  const next = s.status;
  if (d.isNew) {
    d.set('status', next);
    if (isTerminal(next)) enterTerminal(d, next, now, s.endedAt);
    return;
  }
  if (!isTerminal(next)) {
    if (cur === 'pending' && next === 'running') markRunning(d, s.startedAt ?? now);
    if (!isTerminal(d.job.status)) d.unset('awaitingReconciliation');
    return;
  }
  if (isTerminal(cur)) {
    const keep = cur === next || next === 'lost' || (cur === 'interrupted' && next === 'cancelled');
    if (keep) return;
  }
  enterTerminal(d, next, now, s.endedAt);
}

function onSnapshot(r: Reduction, s: Extract<LocalEvent, { type: 'local:snapshot' }>): void {
  const d = r.draft(s.promptId, true)!;
  snapshotStatus(d, s, r.now);
  if (s.number !== undefined && d.job.number === undefined && isFiniteNumber(s.number))
    d.set('number', s.number);
  if (s.startedAt !== undefined && d.job.startedAt === undefined && isFiniteNumber(s.startedAt)) {
    d.set('startedAt', s.startedAt);
  }
  if (s.endedAt !== undefined && isTerminal(d.job.status) && d.job.endedAt === undefined)
    d.set('endedAt', s.endedAt);
  applyPrompt(d, s.prompt);
  if (s.outputs) {
    let outputs: JobState['outputs'] | null = null;
    for (const id in s.outputs) {
      if (id === UNSAFE_KEY) continue;
      const o = s.outputs[id];
      if (o == null || sameValue(entry(d.job.outputs, id), o)) continue;
      outputs ??= { ...d.job.outputs };
      outputs[id] = o;
    }
    if (outputs) d.set('outputs', outputs);
  }
  if (s.error && d.job.status === 'error' && !sameValue(d.job.error, s.error)) d.set('error', s.error);
  if (s.interruptedAt && d.job.interruptedAt === undefined) d.set('interruptedAt', s.interruptedAt);
  if (isTerminal(d.job.status) && r.running === s.promptId) r.running = null;
  r.put(d);
}

function onCancelled(r: Reduction, e: Extract<LocalEvent, { type: 'local:cancelled' }>): void {
  const d = r.draft(e.promptId, true)!;
  // `POST /queue {delete}` only removes pending prompts; a running one ends via the wire or a snapshot.
  if (d.job.status === 'pending') enterTerminal(d, 'cancelled', r.now);
  r.put(d);
}

/** Structural equality for JSON-like values (snapshots are rebuilt from HTTP on every poll). */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * The reducer. Pure: never mutates `state` or `event`, returns `state` itself when the event changes
 * nothing (unknown types, parse errors, duplicates, events for no known prompt). A sampler's steady-state
 * tick takes the `progressTick` shortcut; every other event goes through `reduceTrackerGeneral`.
 */
export function reduceTracker(state: TrackerState, event: TrackerEvent, now: number): TrackerState {
  if ('promptId' in event && event.promptId === UNSAFE_KEY) return state;
  if (event.type === 'progress') {
    const next = progressTick(state, event, now);
    if (next !== null) return next;
  }
  return reduceTrackerGeneral(state, event, now);
}

/**
 * The general path: every event type, through the draft machinery, with the same result as
 * `reduceTracker` (a property test pins the two together). Most events take it; only a steady-state
 * progress tick is spared it.
 */
export function reduceTrackerGeneral(state: TrackerState, event: TrackerEvent, now: number): TrackerState {
  if ('promptId' in event && event.promptId === UNSAFE_KEY) return state;
  const r = new Reduction(state, now);
  switch (event.type) {
    case 'status':
      return onStatus(r, event);
    case 'execution_start': {
      const d = r.draft(event.promptId, true)!;
      r.running = event.promptId;
      markRunning(d, now);
      r.put(d);
      break;
    }
    case 'execution_cached':
      onCached(r, event);
      break;
    case 'executing':
      onExecuting(r, event);
      break;
    case 'progress':
      onProgress(r, event);
      break;
    case 'progress_state':
      onProgressState(r, event);
      break;
    case 'preview':
      onPreview(r, event);
      break;
    case 'executed':
      onExecuted(r, event);
      break;
    case 'execution_success':
      onSuccess(r, event);
      break;
    case 'execution_error':
      onError(r, event);
      break;
    case 'execution_interrupted':
      onInterrupted(r, event);
      break;
    case 'local:queued':
      onQueued(r, event);
      break;
    case 'local:snapshot':
      onSnapshot(r, event);
      break;
    case 'local:cancelled':
      onCancelled(r, event);
      break;
    default:
      // feature_flags, progress_text (no prompt id in core), unknown, parse_error: nothing to track
      return state;
  }
  return r.result();
}

/** The prompt id an event concerns, resolving id-less frames to the stream's running prompt. */
function eventPromptId(state: TrackerState, event: TrackerEvent): string | null {
  return 'promptId' in event && typeof event.promptId === 'string' ? event.promptId : state.runningPromptId;
}

/** Jobs whose object changed between two states (new jobs included). */
export function changedJobs(prev: TrackerState, next: TrackerState): JobState[] {
  if (prev.jobs === next.jobs) return [];
  const out: JobState[] = [];
  for (const id in next.jobs) if (prev.jobs[id] !== next.jobs[id]) out.push(next.jobs[id]!);
  return out;
}

/** Removes jobs (e.g. terminal ones already persisted) so the tracked set stays small. */
export function forgetJobs(state: TrackerState, promptIds: Iterable<string>): TrackerState {
  let jobs: Record<string, JobState> | null = null;
  for (const id of promptIds) {
    if (!Object.hasOwn(jobs ?? state.jobs, id)) continue;
    jobs ??= { ...state.jobs };
    delete jobs[id];
  }
  if (!jobs) return state;
  const running = state.runningPromptId !== null && !Object.hasOwn(jobs, state.runningPromptId);
  return { ...state, jobs, runningPromptId: running ? null : state.runningPromptId };
}

/** Mutable convenience around the reducer for clients that hold one tracker per server. */
export class JobTracker {
  constructor(public state: TrackerState = initialTrackerState) {}

  /** Applies one event; returns the job it changed (undefined when none, or for table-wide events). */
  apply(event: TrackerEvent, now: number): JobState | undefined {
    const prev = this.state;
    const next = reduceTracker(prev, event, now);
    if (next === prev) return undefined;
    this.state = next;
    const id = eventPromptId(prev, event);
    if (id === null || event.type === 'status') return undefined;
    const job = entry(next.jobs, id);
    return job !== entry(prev.jobs, id) ? job : undefined;
  }

  job(promptId: string): JobState | undefined {
    return entry(this.state.jobs, promptId);
  }
}

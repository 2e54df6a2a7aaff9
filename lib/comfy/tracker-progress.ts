/**
 * Overall job progress, kept cheap enough to recompute on every sampler tick.
 */
import type { JobState, NodeId, NodeRun } from './types';

const clamp01 = (x: number) => (x > 0 ? Math.min(x, 1) : 0); // NaN -> 0

const isDone = (n: NodeRun | undefined) =>
  n !== undefined && (n.state === 'finished' || n.state === 'cached');
const isRunning = (n: NodeRun | undefined) => n !== undefined && n.state === 'running';

/** How far a running node is: value/max, 0 when unknown. */
function fraction(n: NodeRun | undefined): number {
  if (n === undefined || n.max === undefined || n.value === undefined || !(n.max > 0)) return 0;
  return clamp01(n.value / n.max);
}

/**
 * The counts progress needs. Exact integers plus the list of running nodes, so progress is computed
 * afresh from the fractions of those few nodes and never accumulates floating-point drift.
 */
export interface NodeTally {
  readonly seen: number;
  readonly done: number;
  readonly running: readonly NodeId[];
}

// One-entry memo: ticks arrive for the running job, whose node map is the one the previous step
// produced, so its tally is at hand without rescanning (enumerating integer-like keys costs ~100 ns
// each) or a WeakMap write per step (about 1 µs with its GC cost). Maps and tallies are never mutated
// once made, so a memo keyed by identity is never stale.
let memoNodes: Record<NodeId, NodeRun> | null = null;
let memoTally: NodeTally = { seen: 0, done: 0, running: [] };
let memoKeysOf: object | null = null;
let memoKeyCount = 0;

export function tallyOf(nodes: Record<NodeId, NodeRun>): NodeTally {
  if (nodes === memoNodes) return memoTally;
  let seen = 0;
  let done = 0;
  const running: NodeId[] = [];
  for (const id in nodes) {
    seen++;
    const n = nodes[id];
    if (isDone(n)) done++;
    else if (isRunning(n)) running.push(id);
  }
  const t = { seen, done, running };
  rememberTally(nodes, t);
  return t;
}

export function rememberTally(nodes: Record<NodeId, NodeRun>, t: NodeTally): void {
  memoNodes = nodes;
  memoTally = t;
}

/** The tally after replacing `prev` by `next` (same node id). */
export function retally(t: NodeTally, prev: NodeRun | undefined, next: NodeRun): NodeTally {
  const wasRunning = isRunning(prev);
  const nowRunning = isRunning(next);
  let running = t.running;
  if (wasRunning !== nowRunning) {
    running = nowRunning ? [...running, next.nodeId] : running.filter((id) => id !== next.nodeId);
  }
  const done = t.done + (isDone(next) ? 1 : 0) - (isDone(prev) ? 1 : 0);
  const seen = t.seen + (prev === undefined ? 1 : 0);
  return seen === t.seen && done === t.done && running === t.running ? t : { seen, done, running };
}

function keyCount(o: object): number {
  if (o !== memoKeysOf) {
    memoKeysOf = o;
    memoKeyCount = Object.keys(o).length;
  }
  return memoKeyCount;
}

/** Progress is reported to 1e-12; finer digits would only expose summation order. */
const PROGRESS_STEP = 1e12;

/**
 * Overall progress in [0, 1]: finished and cached nodes count 1, the running nodes count value/max,
 * over the number of nodes in the prompt when known (else the nodes seen so far). A success is 1.
 * Nodes outside any output's path never run, so a running job may sit below 1 until its outcome.
 */
export function jobProgress(job: JobState): number {
  if (job.status === 'success') return 1;
  const t = tallyOf(job.nodes);
  const total = Math.max(t.seen, keyCount(job.classTypes));
  if (total === 0) return 0;
  let sum = t.done;
  // running ids come from the map's own keys, so a plain lookup cannot reach the prototype
  for (const id of t.running) sum += fraction(job.nodes[id]);
  return Math.round(clamp01(sum / total) * PROGRESS_STEP) / PROGRESS_STEP;
}

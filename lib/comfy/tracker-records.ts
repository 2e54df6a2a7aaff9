/**
 * Record helpers of the tracker: explicit clones of its state objects and safe lookups by wire ids.
 */
import type { JobState, NodeRun } from './types';

// Explicit clones. V8 copies a spread of an object that was itself made by a spread (the chain every
// tick builds) through a slow generic path, 10-30x slower than a literal of known shape; these keep
// the hot path allocation-cheap. The key tables make the compiler flag a field added to the types.

/** Every key of JobState; `cloneJob` copies exactly these. */
export const JOB_KEYS = {
  promptId: true,
  status: true,
  own: true,
  clientId: true,
  number: true,
  queuedAt: true,
  startedAt: true,
  endedAt: true,
  updatedAt: true,
  currentNode: true,
  progress: true,
  nodes: true,
  classTypes: true,
  outputs: true,
  error: true,
  interruptedAt: true,
  preview: true,
  previewCount: true,
  awaitingReconciliation: true,
} as const satisfies Record<keyof JobState, true>;

/** Every key of NodeRun; `cloneRun` copies exactly these. */
export const RUN_KEYS = {
  nodeId: true,
  displayNodeId: true,
  classType: true,
  state: true,
  cached: true,
  startedAt: true,
  endedAt: true,
  durationMs: true,
  value: true,
  max: true,
} as const satisfies Record<keyof NodeRun, true>;

/** A shallow copy with only the defined optional fields (same result as a spread). */
export function cloneJob(j: JobState): JobState {
  const c: JobState = {
    promptId: j.promptId,
    status: j.status,
    own: j.own,
    updatedAt: j.updatedAt,
    currentNode: j.currentNode,
    progress: j.progress,
    nodes: j.nodes,
    classTypes: j.classTypes,
    outputs: j.outputs,
    previewCount: j.previewCount,
  };
  if (j.clientId !== undefined) c.clientId = j.clientId;
  if (j.number !== undefined) c.number = j.number;
  if (j.queuedAt !== undefined) c.queuedAt = j.queuedAt;
  if (j.startedAt !== undefined) c.startedAt = j.startedAt;
  if (j.endedAt !== undefined) c.endedAt = j.endedAt;
  if (j.error !== undefined) c.error = j.error;
  if (j.interruptedAt !== undefined) c.interruptedAt = j.interruptedAt;
  if (j.preview !== undefined) c.preview = j.preview;
  if (j.awaitingReconciliation !== undefined) c.awaitingReconciliation = j.awaitingReconciliation;
  return c;
}

/** A shallow copy with only the defined optional fields (same result as a spread). */
export function cloneRun(n: NodeRun): NodeRun {
  const c: NodeRun = { nodeId: n.nodeId, state: n.state, cached: n.cached };
  if (n.displayNodeId !== undefined) c.displayNodeId = n.displayNodeId;
  if (n.classType !== undefined) c.classType = n.classType;
  if (n.startedAt !== undefined) c.startedAt = n.startedAt;
  if (n.endedAt !== undefined) c.endedAt = n.endedAt;
  if (n.durationMs !== undefined) c.durationMs = n.durationMs;
  if (n.value !== undefined) c.value = n.value;
  if (n.max !== undefined) c.max = n.max;
  return c;
}

/**
 * Ids become keys of plain records; `record["__proto__"] = x` would replace the prototype instead of
 * adding a key. No server sends that id, so frames naming it are ignored rather than special-cased.
 */
export const UNSAFE_KEY = '__proto__';

/** An own entry of a record; ids such as "constructor" must not find what Object.prototype has. */
export function entry<T>(rec: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

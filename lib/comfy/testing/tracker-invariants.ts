/**
 * Invariants every tracker state must satisfy, whatever frames produced it. Used by the fuzz tests and
 * available to any test that drives the tracker. Throws an Error naming the first violation.
 */
import type { TrackerState } from '../tracker';
import { isTerminal, type JobStatus } from '../types';

/** Every JobStatus; the record makes the compiler flag a status added to the type but not here. */
const STATUS_SET = {
  pending: true,
  running: true,
  success: true,
  error: true,
  interrupted: true,
  cancelled: true,
  lost: true,
} satisfies Record<JobStatus, true>;
export const JOB_STATUSES = Object.keys(STATUS_SET) as JobStatus[];
const NODE_STATES = ['running', 'finished', 'cached', 'error'];

function fail(msg: string): never {
  throw new Error(`invalid tracker state: ${msg}`);
}

const finiteOrUndef = (x: unknown) => x === undefined || (typeof x === 'number' && Number.isFinite(x));

export function assertValidTrackerState(state: TrackerState, prev?: TrackerState): void {
  if (state.runningPromptId !== null && typeof state.runningPromptId !== 'string')
    fail('runningPromptId type');
  if (
    state.queueRemaining !== null &&
    !(Number.isFinite(state.queueRemaining) && state.queueRemaining >= 0)
  ) {
    fail(`queueRemaining ${state.queueRemaining}`);
  }
  for (const id in state.jobs) {
    const j = state.jobs[id]!;
    const where = `job ${JSON.stringify(id)}`;
    if (j.promptId !== id) fail(`${where}: promptId ${j.promptId} under another key`);
    if (!JOB_STATUSES.includes(j.status)) fail(`${where}: status ${j.status}`);
    if (!(Number.isFinite(j.progress) && j.progress >= 0 && j.progress <= 1))
      fail(`${where}: progress ${j.progress}`);
    if (j.status === 'success' && j.progress !== 1) fail(`${where}: success with progress ${j.progress}`);
    for (const k of ['updatedAt', 'queuedAt', 'startedAt', 'endedAt', 'number'] as const) {
      if (!finiteOrUndef(j[k])) fail(`${where}: ${k} ${j[k]}`);
    }
    if (!Number.isInteger(j.previewCount) || j.previewCount < 0)
      fail(`${where}: previewCount ${j.previewCount}`);
    if (j.preview && !(j.preview.seq >= 1 && j.preview.seq <= j.previewCount)) fail(`${where}: preview seq`);
    if (j.previewCount > 0 && !j.preview) fail(`${where}: previews counted but no preview ref`);
    if (j.currentNode !== null && typeof j.currentNode !== 'string') fail(`${where}: currentNode type`);
    if (isTerminal(j.status)) {
      if (j.currentNode !== null) fail(`${where}: terminal with currentNode ${j.currentNode}`);
      if (j.endedAt === undefined) fail(`${where}: terminal without endedAt`);
      if (j.awaitingReconciliation) fail(`${where}: terminal but awaiting reconciliation`);
    }
    for (const nid in j.nodes) {
      const n = j.nodes[nid]!;
      const at = `${where} node ${JSON.stringify(nid)}`;
      if (n.nodeId !== nid) fail(`${at}: nodeId ${n.nodeId}`);
      if (!NODE_STATES.includes(n.state)) fail(`${at}: state ${n.state}`);
      if (n.classType !== undefined && typeof n.classType !== 'string')
        fail(`${at}: classType ${typeof n.classType}`);
      if (n.displayNodeId !== undefined && typeof n.displayNodeId !== 'string')
        fail(`${at}: displayNodeId type`);
      if (n.cached !== (n.state === 'cached')) fail(`${at}: cached flag ${n.cached} with state ${n.state}`);
      for (const k of ['startedAt', 'endedAt', 'durationMs', 'value', 'max'] as const) {
        if (!finiteOrUndef(n[k])) fail(`${at}: ${k} ${n[k]}`);
      }
      if (n.durationMs !== undefined && n.durationMs < 0) fail(`${at}: negative duration`);
      if (n.state === 'cached' && n.durationMs !== 0)
        fail(`${at}: cached node with duration ${n.durationMs}`);
      if (n.durationMs !== undefined && n.state !== 'cached') {
        if (n.startedAt === undefined || n.endedAt === undefined) fail(`${at}: duration without both ends`);
        if (n.durationMs !== Math.max(0, n.endedAt - n.startedAt))
          fail(`${at}: duration disagrees with its ends`);
      }
      if ((n.state === 'finished' || n.state === 'error') && n.endedAt === undefined)
        fail(`${at}: ended without endedAt`);
      if (n.state === 'running' && isTerminal(j.status) && n.endedAt === undefined) {
        fail(`${at}: still running in a terminal job`);
      }
    }
    if (prev) {
      const p = prev.jobs[id];
      if (p && isTerminal(p.status) && !isTerminal(j.status))
        fail(`${where}: left terminal ${p.status} for ${j.status}`);
      if (p && j.previewCount < p.previewCount) fail(`${where}: previewCount went down`);
    }
  }
  if (prev) for (const id in prev.jobs) if (!state.jobs[id]) fail(`job ${id} disappeared`);
}

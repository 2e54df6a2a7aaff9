/** Conversions between the tracker's `JobState` and the stored `JobRecord`/`NodeRunRecord`. */
import { cloneJob } from '../../comfy/tracker-records';
import type { JobState, NodeRun } from '../../comfy/types';
import { activeFlag, type JobRecord, type NodeRunRecord } from '../db';
import { jobKeyOf } from '../storage/repo';

/** Fields the service worker or the engine's side effects own; a tracker update never clears them. */
export type KeptFields = Pick<JobRecord, 'createdAt' | 'notifiedAt' | 'thumbKey' | 'workflowName'>;

export function toJobRecord(serverId: string, job: JobState, kept: KeptFields): JobRecord {
  // cloneJob copies exactly the defined fields of JobState; the tracker's reconciliation flag stays in memory
  const { awaitingReconciliation: _pending, ...state } = cloneJob(job);
  const rec: JobRecord = {
    ...state,
    key: jobKeyOf(serverId, job.promptId),
    serverId,
    active: activeFlag(job.status),
    createdAt: kept.createdAt,
  };
  const cls = job.currentNode !== null ? job.classTypes[job.currentNode] : undefined;
  if (cls !== undefined) rec.currentClassType = cls;
  if (kept.notifiedAt !== undefined) rec.notifiedAt = kept.notifiedAt;
  if (kept.thumbKey !== undefined) rec.thumbKey = kept.thumbKey;
  if (kept.workflowName !== undefined) rec.workflowName = kept.workflowName;
  return rec;
}

/** A stored record back as tracker state (to resume tracking active jobs after a restart). */
export function toJobState(rec: JobRecord): JobState {
  const {
    key: _k,
    serverId: _s,
    active: _a,
    createdAt: _c,
    currentClassType: _cc,
    thumbKey: _t,
    notifiedAt: _n,
    workflowName: _w,
    ...state
  } = rec;
  return state;
}

/** Node runs worth storing: those that ran to an end, failed, or were cached. */
export function toNodeRunRecords(serverId: string, job: JobState): NodeRunRecord[] {
  const jobKey = jobKeyOf(serverId, job.promptId);
  const out: NodeRunRecord[] = [];
  for (const run of Object.values(job.nodes) as NodeRun[]) {
    if (run.state === 'running') continue;
    const rec: NodeRunRecord = {
      key: `${jobKey}:${run.nodeId}`,
      jobKey,
      serverId,
      nodeId: run.nodeId,
      cached: run.cached,
    };
    const cls = run.classType ?? job.classTypes[run.nodeId];
    if (cls !== undefined) rec.classType = cls;
    if (run.startedAt !== undefined) rec.startedAt = run.startedAt;
    if (run.durationMs !== undefined) rec.durationMs = run.durationMs;
    out.push(rec);
  }
  return out;
}

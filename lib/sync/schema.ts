// The ingest contract between the extension's outbox and the sync server: both import these schemas, so
// the wire format cannot drift. Strict objects: an unknown field is a bug on one side and is rejected.
import { z } from 'zod';
import type { JobState, JobStatus } from '../comfy/types';

const JOB_STATUSES = ['pending', 'running', 'success', 'error', 'interrupted', 'cancelled', 'lost'] as const;
// Compile-time check that the list above is exactly lib/comfy's JobStatus.
const _statusesMatch: [JobStatus] extends [(typeof JOB_STATUSES)[number]]
  ? [(typeof JOB_STATUSES)[number]] extends [JobStatus]
    ? true
    : never
  : never = true;
void _statusesMatch;

export const MAX_ID = 200;
const id = z.string().min(1).max(MAX_ID);
const epochMs = z.number().int().nonnegative();

export const NodeRunRecordSchema = z.strictObject({
  nodeId: id,
  displayNodeId: id.optional(),
  classType: z.string().max(MAX_ID).optional(),
  state: z.enum(['running', 'finished', 'cached', 'error']),
  cached: z.boolean(),
  startedAt: epochMs.optional(),
  endedAt: epochMs.optional(),
  durationMs: z.number().nonnegative().optional(),
});
export type NodeRunRecord = z.infer<typeof NodeRunRecordSchema>;

export const JobErrorSchema = z.strictObject({
  nodeId: id.optional(),
  nodeType: z.string().max(MAX_ID).optional(),
  message: z.string().max(20_000),
  exceptionType: z.string().max(MAX_ID).optional(),
  traceback: z.array(z.string().max(20_000)).max(200),
});

export const JobRecordSchema = z.strictObject({
  /** The ComfyUI server: the extension's server id or its URL. */
  server: z.string().min(1).max(300),
  promptId: id,
  status: z.enum(JOB_STATUSES),
  own: z.boolean(),
  clientId: z.string().max(MAX_ID).optional(),
  /** Optional human label of who runs the extension (set in options). */
  user: z.string().max(MAX_ID).optional(),
  number: z.number().optional(),
  queuedAt: epochMs.optional(),
  startedAt: epochMs.optional(),
  endedAt: epochMs.optional(),
  /** The producer's revision: a record replaces a stored one only when this is newer. */
  updatedAt: epochMs,
  currentNode: z.string().max(MAX_ID).nullable(),
  progress: z.number().min(0).max(1),
  outputs: z.record(z.string().max(MAX_ID), z.record(z.string(), z.unknown())),
  error: JobErrorSchema.optional(),
  nodes: z.array(NodeRunRecordSchema).max(2000),
});
export type JobRecord = z.infer<typeof JobRecordSchema>;

export const IngestBatchSchema = z.strictObject({ records: z.array(JobRecordSchema) });
export type IngestBatch = z.infer<typeof IngestBatchSchema>;

export const IngestResponseSchema = z.object({ accepted: z.number(), applied: z.number() });
export type IngestResponse = z.infer<typeof IngestResponseSchema>;

/** Maps the tracker's JobState to the wire record (drops what the server does not store, e.g. previews). */
export function jobToRecord(server: string, job: JobState, user?: string): JobRecord {
  const nodes: NodeRunRecord[] = Object.values(job.nodes).map((n) => ({
    nodeId: n.nodeId,
    ...(n.displayNodeId !== undefined && { displayNodeId: n.displayNodeId }),
    ...((n.classType ?? job.classTypes[n.nodeId]) !== undefined && {
      classType: n.classType ?? job.classTypes[n.nodeId],
    }),
    state: n.state,
    cached: n.cached,
    ...(n.startedAt !== undefined && { startedAt: Math.round(n.startedAt) }),
    ...(n.endedAt !== undefined && { endedAt: Math.round(n.endedAt) }),
    ...(n.durationMs !== undefined && { durationMs: n.durationMs }),
  }));
  return {
    server,
    promptId: job.promptId,
    status: job.status,
    own: job.own,
    ...(job.clientId !== undefined && { clientId: job.clientId }),
    ...(user !== undefined && { user }),
    ...(job.number !== undefined && { number: job.number }),
    ...(job.queuedAt !== undefined && { queuedAt: Math.round(job.queuedAt) }),
    ...(job.startedAt !== undefined && { startedAt: Math.round(job.startedAt) }),
    ...(job.endedAt !== undefined && { endedAt: Math.round(job.endedAt) }),
    updatedAt: Math.round(job.updatedAt),
    currentNode: job.currentNode,
    progress: Math.min(1, Math.max(0, job.progress)),
    outputs: job.outputs,
    ...(job.error !== undefined && {
      error: {
        message: job.error.message,
        traceback: job.error.traceback,
        ...(job.error.nodeId !== undefined && { nodeId: job.error.nodeId }),
        ...(job.error.nodeType !== undefined && { nodeType: job.error.nodeType }),
        ...(job.error.exceptionType !== undefined && { exceptionType: job.error.exceptionType }),
      },
    }),
    nodes,
  };
}

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

// Record limits: the server refuses a record beyond them, so the client truncates to exactly these
// (with a visible marker) before uploading.
export const MAX_ID = 200;
export const MAX_SERVER = 300;
export const MAX_MESSAGE = 20_000;
export const MAX_TRACEBACK_ENTRY = 20_000;
export const MAX_TRACEBACK_ENTRIES = 200;
/** Output nodes per record, and how deeply one node's output may nest (objects and arrays). */
export const MAX_OUTPUT_NODES = 1000;
export const MAX_OUTPUT_DEPTH = 32;
export const MAX_NODES = 2000;
/** The latest instant JavaScript's Date can hold (year 275760); PostgreSQL's timestamps reach further. */
export const MAX_EPOCH_MS = 8_640_000_000_000_000;

const id = z.string().min(1).max(MAX_ID);
const epochMs = z.number().int().nonnegative().max(MAX_EPOCH_MS);

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
  message: z.string().max(MAX_MESSAGE),
  exceptionType: z.string().max(MAX_ID).optional(),
  traceback: z.array(z.string().max(MAX_TRACEBACK_ENTRY)).max(MAX_TRACEBACK_ENTRIES),
});

export const JobRecordSchema = z.strictObject({
  /** The ComfyUI server: the extension's server id or its URL. */
  server: z.string().min(1).max(MAX_SERVER),
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
  outputs: z
    .preprocess(refuseProtoKeys, z.record(z.string().max(MAX_ID), z.record(z.string(), z.unknown())))
    .refine((o) => Object.keys(o).length <= MAX_OUTPUT_NODES, `at most ${MAX_OUTPUT_NODES} output nodes`)
    .refine((o) => nestingWithin(o, MAX_OUTPUT_DEPTH), `outputs nest deeper than ${MAX_OUTPUT_DEPTH} levels`),
  error: JobErrorSchema.optional(),
  nodes: z.array(NodeRunRecordSchema).max(MAX_NODES),
});
export type JobRecord = z.infer<typeof JobRecordSchema>;

export const IngestBatchSchema = z.strictObject({ records: z.array(JobRecordSchema) });
export type IngestBatch = z.infer<typeof IngestBatchSchema>;

/**
 * What the server reads first: the envelope. Each record is then judged on its own (JobRecordSchema),
 * so one bad record cannot sink its batch.
 */
export const IngestEnvelopeSchema = z.strictObject({ records: z.array(z.unknown()) });

export const INGEST_REJECT_CODES = ['invalid', 'not_owner', 'future_timestamp', 'unstorable'] as const;
export type IngestRejectCode = (typeof INGEST_REJECT_CODES)[number];

/**
 * The server's verdict on one record. `applied` (stored, new or newer) and `unchanged` (the stored row
 * is as new or newer) both acknowledge it; `rejected` is final for that record (never retried as is).
 */
export const IngestResultSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('applied') }),
  z.object({ status: z.literal('unchanged') }),
  z.object({ status: z.literal('rejected'), code: z.enum(INGEST_REJECT_CODES), message: z.string() }),
]);
export type IngestResult = z.infer<typeof IngestResultSchema>;

/** 200 answer of POST /v1/ingest: one result per input record, in input order. */
export const IngestResponseSchema = z.object({
  accepted: z.number().int().nonnegative(),
  applied: z.number().int().nonnegative(),
  results: z.array(IngestResultSchema),
});
export type IngestResponse = z.infer<typeof IngestResponseSchema>;

/** 400 (bad envelope) and 413 (too many records or bytes) answers of POST /v1/ingest. */
export const IngestErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    maxRecords: z.number().optional(),
    maxBytes: z.number().optional(),
  }),
});

/** True when `value` nests at most `depth` levels of objects and arrays (bounded recursion). */
/**
 * zod drops a key named `__proto__` from the objects it rebuilds (the node map and each node's output map),
 * so such a record would be stored without it while the answer says `applied`. Refuse it instead, naming
 * the key: no ComfyUI output has one, and "stored as sent, or rejected" is the ingest contract.
 */
function refuseProtoKeys(
  value: unknown,
  ctx: { addIssue(issue: { code: 'custom'; message: string }): void },
) {
  if (value === null || typeof value !== 'object') return value;
  const level = (o: object, where: string) => {
    if (Object.hasOwn(o, '__proto__'))
      ctx.addIssue({ code: 'custom', message: `${where} has a key named __proto__` });
  };
  level(value, 'outputs');
  for (const [node, out] of Object.entries(value)) {
    if (out !== null && typeof out === 'object') level(out, `outputs.${node}`);
  }
  return value;
}

export function nestingWithin(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (depth <= 0) return false;
  for (const v of Array.isArray(value) ? value : Object.values(value)) {
    if (!nestingWithin(v, depth - 1)) return false;
  }
  return true;
}

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

/**
 * zod schemas for ComfyUI's HTTP responses. Lenient by design (comfyui-protocol.md §10 item 18): only the
 * fields this library reads are checked, extra keys pass through, and list items that are odd are skipped by
 * the caller rather than failing the whole response.
 */
import { z } from 'zod';

const errorDetail = z.looseObject({
  type: z.string(),
  message: z.string(),
  details: z.string().optional(),
  extra_info: z.record(z.string(), z.unknown()).optional(),
});

const nodeError = z.looseObject({
  errors: z.array(errorDetail).catch([]),
  dependent_outputs: z.array(z.string()).optional(),
  class_type: z.string().optional(),
});

export const nodeErrorsSchema = z.record(z.string(), nodeError);

/**
 * 200 from `POST /prompt`. `node_errors` may be non-empty: some outputs were dropped
 * (comfyui-protocol.md §10 item 16).
 */
export const promptResponseSchema = z.looseObject({
  prompt_id: z.string(),
  number: z.number(),
  node_errors: nodeErrorsSchema.catch({}).default({}),
});

/** 400 from `POST /prompt`. */
export const promptErrorSchema = z.looseObject({
  error: z.looseObject({
    type: z.string(),
    message: z.string(),
    details: z.string().optional(),
    extra_info: z.record(z.string(), z.unknown()).optional(),
  }),
  node_errors: nodeErrorsSchema.catch({}).default({}),
});

/** `GET /queue`: items are tuples whose length varies by version; read them with `queueItem`. */
export const queueResponseSchema = z.looseObject({
  queue_running: z.array(z.unknown()).default([]),
  queue_pending: z.array(z.unknown()).default([]),
});

/** `[number, prompt_id, prompt, extra_data, outputs_to_execute, ...]`; only index 0 and 1 are required. */
export const queueTupleSchema = z
  .tuple([z.number(), z.string()])
  .rest(z.unknown())
  .transform((t) => ({
    number: t[0],
    promptId: t[1],
    prompt: t[2],
    extraData: t[3],
    outputsToExecute: t[4],
  }));

/** `["execution_success", {...}]` entries of history `status.messages`. */
export const historyMessageSchema = z.tuple([z.string(), z.record(z.string(), z.unknown())]);

export const historyStatusSchema = z.looseObject({
  status_str: z.string().optional(),
  completed: z.boolean().optional(),
  messages: z.array(z.unknown()).default([]),
});

export const historyEntrySchema = z.looseObject({
  prompt: z.array(z.unknown()).optional(),
  outputs: z.record(z.string(), z.unknown()).default({}),
  status: historyStatusSchema.optional(),
  meta: z.unknown().optional(),
});

export const historyResponseSchema = z.record(z.string(), z.unknown());

export const jobStatusSchema = z.string(); // pending | in_progress | completed | failed | cancelled

export const jobListItemSchema = z.looseObject({
  id: z.string(),
  status: jobStatusSchema,
  priority: z.number().optional(),
  create_time: z.number().optional(),
  execution_start_time: z.number().optional(),
  execution_end_time: z.number().optional(),
  outputs_count: z.number().optional(),
  preview_output: z.unknown().optional(),
  workflow_id: z.string().optional(),
  execution_error: z.record(z.string(), z.unknown()).optional(),
});

/** `GET /api/jobs?limit=N`. `pagination.limit` is null when no limit was sent; we always send one. */
export const jobsListSchema = z.looseObject({
  jobs: z.array(z.unknown()).default([]),
  pagination: z
    .looseObject({
      offset: z.number().optional(),
      limit: z.number().nullable().optional(),
      total: z.number().optional(),
      has_more: z.boolean().optional(),
    })
    .optional(),
});

export const jobDetailSchema = jobListItemSchema.extend({
  outputs: z.record(z.string(), z.unknown()).optional(),
  execution_status: historyStatusSchema.optional(),
  workflow: z.looseObject({ prompt: z.unknown().optional(), extra_data: z.unknown().optional() }).optional(),
});

export const cancelResponseSchema = z.looseObject({ cancelled: z.boolean() });

/** `GET /api/prompt`. */
export const promptStatusSchema = z.looseObject({
  exec_info: z.looseObject({ queue_remaining: z.number() }),
});

export const systemStatsSchema = z.looseObject({
  system: z.looseObject({
    comfyui_version: z.string().optional(),
    python_version: z.string().optional(),
    pytorch_version: z.string().optional(),
    os: z.string().optional(),
  }),
  devices: z.array(z.looseObject({ name: z.string().optional(), type: z.string().optional() })).default([]),
});

export const featuresSchema = z.record(z.string(), z.unknown());

export type PromptResponse = z.infer<typeof promptResponseSchema>;
export type HistoryEntryWire = z.infer<typeof historyEntrySchema>;
export type HistoryStatusWire = z.infer<typeof historyStatusSchema>;
export type JobListItemWire = z.infer<typeof jobListItemSchema>;
export type JobDetailWire = z.infer<typeof jobDetailSchema>;
export type SystemStats = z.infer<typeof systemStatsSchema>;

/**
 * Schemas of record for every JSON frame ComfyUI sends (comfyui-protocol.md §4, §12), and their mapping to
 * the camelCased `ComfyEvent` union.
 *
 * Leniency policy (comfyui-protocol.md §10 item 18): every object is loose (extra keys pass), and a field the
 * client can live without never rejects a frame: when it is missing, null or of the wrong type it is
 * dropped (`lenient()`). Only the fields that identify what happened are required: the prompt id of
 * execution events, `node` of `executing`/`executed`, `value`/`max` of progress, `queue_remaining`.
 * Node ids are strings on the wire; a numeric id (seen from some custom servers) is accepted as its
 * decimal string.
 */
import { z } from 'zod';
import type { ComfyEvent, JobError, NodeId, NodeOutput, NodeProgressState } from './types';

/** Optional and forgiving: missing, null or malformed all read as `undefined`. */
function lenient<T extends z.ZodType>(schema: T) {
  return schema.nullish().catch(undefined);
}

export const nodeIdSchema = z.union([z.string(), z.number().transform((n) => String(n))]);
const finite = z.number(); // zod 4 rejects NaN and +-Infinity
const timestamp = lenient(finite);
const nodeIdList = lenient(z.array(nodeIdSchema));

/** Every frame: `{type, data}`. */
export const frameSchema = z.looseObject({ type: z.string(), data: z.unknown() });

export const statusSchema = z.looseObject({
  status: z.looseObject({
    exec_info: z.looseObject({ queue_remaining: finite.min(0) }),
  }),
  sid: lenient(z.string()),
});

export const executionStartSchema = z.looseObject({ prompt_id: z.string(), timestamp });

export const executionCachedSchema = z.looseObject({
  prompt_id: z.string(),
  nodes: nodeIdList,
  timestamp,
});

/** `node: null` ends the prompt; the reconnect replay lacks `prompt_id` and `display_node`. */
export const executingSchema = z.looseObject({
  node: nodeIdSchema.nullable(),
  display_node: lenient(nodeIdSchema),
  prompt_id: lenient(z.string()),
});

/** Legacy ProgressBar tick; `value` may be a float. */
export const progressSchema = z.looseObject({
  value: finite,
  max: finite,
  prompt_id: lenient(z.string()),
  node: lenient(nodeIdSchema),
});

export const progressNodeSchema = z.looseObject({
  value: finite,
  max: finite,
  state: z.string(),
  node_id: lenient(nodeIdSchema),
  prompt_id: lenient(z.string()),
  display_node_id: lenient(nodeIdSchema),
  real_node_id: lenient(nodeIdSchema),
  // null is meaningful here ("no parent"), so it is kept rather than dropped
  parent_node_id: nodeIdSchema.nullable().optional().catch(undefined),
  activity: lenient(z.string()),
});

/** One malformed node entry is dropped rather than costing the whole frame (the next frame resyncs). */
export const progressStateSchema = z.looseObject({
  prompt_id: z.string(),
  nodes: z.record(z.string(), progressNodeSchema.nullable().catch(null)),
});

/** A file in an `executed` output list; 2026 servers add `metadata`, `id`, `preview_id`, `display_name`. */
/** `output` is null for cached nodes without UI output. */
export const executedSchema = z.looseObject({
  node: nodeIdSchema,
  display_node: lenient(nodeIdSchema),
  prompt_id: lenient(z.string()),
  output: z.record(z.string(), z.unknown()).nullish().catch(null),
});

export const executionSuccessSchema = z.looseObject({ prompt_id: z.string(), timestamp });

/**
 * `current_inputs` is an object of lists normally and `[]` for "Execution Blocked"; it is not used, so
 * any value passes. `timestamp` is absent for "Execution Blocked".
 */
export const executionErrorSchema = z.looseObject({
  prompt_id: z.string(),
  node_id: lenient(nodeIdSchema),
  node_type: lenient(z.string()),
  executed: nodeIdList,
  exception_message: lenient(z.string()),
  exception_type: lenient(z.string()),
  traceback: lenient(z.array(z.unknown())),
  current_inputs: z.unknown().optional(),
  current_outputs: z.unknown().optional(),
  timestamp,
});

export const executionInterruptedSchema = z.looseObject({
  prompt_id: z.string(),
  node_id: lenient(nodeIdSchema),
  node_type: lenient(z.string()),
  executed: nodeIdList,
  timestamp,
});

/** The server's reply to our `feature_flags`; values vary by version (booleans, numbers, objects). */
export const featureFlagsSchema = z.record(z.string(), z.unknown());

/** Terminal log lines, only to sids subscribed via `/internal/logs/subscribe`. `size` null = unchanged. */
export const logsSchema = z.looseObject({
  entries: z.array(z.looseObject({ t: z.string(), m: z.string() })),
  size: z.looseObject({ cols: finite, rows: finite }).nullish(),
});

/** Custom-node and Manager notification. */
export const notificationSchema = z.looseObject({ value: z.string(), id: lenient(z.string()) });

/** Binary type-4 preview metadata (the JSON between the length word and the image). */
export const previewMetadataSchema = z.looseObject({
  node_id: lenient(nodeIdSchema),
  prompt_id: lenient(z.string()),
  display_node_id: lenient(nodeIdSchema),
  parent_node_id: lenient(nodeIdSchema),
  real_node_id: lenient(nodeIdSchema),
  image_type: lenient(z.string()),
});

type Mapper = (data: unknown) => { ok: true; event: ComfyEvent } | { ok: false; error: z.ZodError };

/** Builds a mapper: validate with the schema of record, then reshape into the event. */
function mapped<S extends z.ZodType>(schema: S, build: (d: z.output<S>) => ComfyEvent): Mapper {
  return (data) => {
    const r = schema.safeParse(data);
    return r.success ? { ok: true, event: build(r.data) } : { ok: false, error: r.error };
  };
}

function progressNode(key: NodeId, n: z.output<typeof progressNodeSchema>): NodeProgressState {
  const out: NodeProgressState = { nodeId: n.node_id ?? key, state: n.state, value: n.value, max: n.max };
  if (n.display_node_id != null) out.displayNodeId = n.display_node_id;
  if (n.real_node_id != null) out.realNodeId = n.real_node_id;
  if (n.parent_node_id !== undefined) out.parentNodeId = n.parent_node_id;
  if (n.activity != null) out.activity = n.activity;
  return out;
}

function jobError(d: z.output<typeof executionErrorSchema>): JobError {
  const e: JobError = {
    message: d.exception_message ?? d.exception_type ?? 'unknown error',
    traceback: (d.traceback ?? []).map((line) => (typeof line === 'string' ? line : String(line))),
  };
  if (d.node_id != null) e.nodeId = d.node_id;
  if (d.node_type != null) e.nodeType = d.node_type;
  if (d.exception_type != null) e.exceptionType = d.exception_type;
  return e;
}

type EventOf<K extends ComfyEvent['type']> = Extract<ComfyEvent, { type: K }>;

/** `base` plus the optional fields that are present, so events carry no null or undefined keys. */
function withOptional<E extends ComfyEvent>(base: E, optional: { [K in keyof E]?: E[K] | null }): E {
  for (const key in optional) {
    const v = optional[key];
    if (v != null) base[key] = v as E[typeof key];
  }
  return base;
}

const MAPPERS = new Map<string, Mapper>([
  [
    'status',
    mapped(statusSchema, (d) =>
      withOptional<EventOf<'status'>>(
        { type: 'status', queueRemaining: d.status.exec_info.queue_remaining },
        { sid: d.sid },
      ),
    ),
  ],
  [
    'execution_start',
    mapped(executionStartSchema, (d) =>
      withOptional<EventOf<'execution_start'>>(
        { type: 'execution_start', promptId: d.prompt_id },
        { timestamp: d.timestamp },
      ),
    ),
  ],
  [
    'execution_cached',
    mapped(executionCachedSchema, (d) =>
      withOptional<EventOf<'execution_cached'>>(
        { type: 'execution_cached', promptId: d.prompt_id, nodes: d.nodes ?? [] },
        { timestamp: d.timestamp },
      ),
    ),
  ],
  [
    'executing',
    mapped(executingSchema, (d) =>
      withOptional<EventOf<'executing'>>(
        { type: 'executing', node: d.node },
        { promptId: d.prompt_id, displayNode: d.display_node },
      ),
    ),
  ],
  [
    'progress',
    mapped(progressSchema, (d) =>
      withOptional<EventOf<'progress'>>(
        { type: 'progress', value: d.value, max: d.max },
        { promptId: d.prompt_id, node: d.node },
      ),
    ),
  ],
  [
    'progress_state',
    mapped(progressStateSchema, (d) => {
      const nodes: Record<NodeId, NodeProgressState> = {};
      for (const key of Object.keys(d.nodes)) {
        const n = d.nodes[key];
        if (n && key !== '__proto__') nodes[key] = progressNode(key, n); // would set the prototype
      }
      return { type: 'progress_state', promptId: d.prompt_id, nodes };
    }),
  ],
  [
    'executed',
    mapped(executedSchema, (d) =>
      withOptional<EventOf<'executed'>>(
        { type: 'executed', node: d.node, output: (d.output ?? null) as NodeOutput | null },
        { promptId: d.prompt_id, displayNode: d.display_node },
      ),
    ),
  ],
  [
    'execution_success',
    mapped(executionSuccessSchema, (d) =>
      withOptional<EventOf<'execution_success'>>(
        { type: 'execution_success', promptId: d.prompt_id },
        { timestamp: d.timestamp },
      ),
    ),
  ],
  [
    'execution_error',
    mapped(executionErrorSchema, (d) =>
      withOptional<EventOf<'execution_error'>>(
        { type: 'execution_error', promptId: d.prompt_id, error: jobError(d) },
        { executed: d.executed, timestamp: d.timestamp },
      ),
    ),
  ],
  [
    'execution_interrupted',
    mapped(executionInterruptedSchema, (d) =>
      withOptional<EventOf<'execution_interrupted'>>(
        { type: 'execution_interrupted', promptId: d.prompt_id },
        { nodeId: d.node_id, nodeType: d.node_type, executed: d.executed, timestamp: d.timestamp },
      ),
    ),
  ],
  ['feature_flags', mapped(featureFlagsSchema, (d) => ({ type: 'feature_flags', flags: d }))],
]);

/**
 * Known types that have no variant in `ComfyEvent`: validated here, then surfaced as `unknown` with the
 * checked data, so consumers that care (a log view) can use them and the tracker ignores them.
 */
const SIDE_CHANNEL = new Map<string, z.ZodType>([
  ['logs', logsSchema],
  ['notification', notificationSchema],
]);

const SAMPLE_CHARS = 200;

function parseError(reason: string, raw: unknown): ComfyEvent {
  let sample: string | undefined;
  try {
    sample = JSON.stringify(raw)?.slice(0, SAMPLE_CHARS);
  } catch {
    sample = undefined; // cyclic or BigInt input: the reason alone has to do
  }
  return sample === undefined ? { type: 'parse_error', reason } : { type: 'parse_error', reason, sample };
}

function describeIssues(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'invalid';
  const path = first.path.length > 0 ? first.path.join('.') : '(root)';
  return `${path}: ${first.message}`;
}

// ---- hot-path validators --------------------------------------------------------------------------
// `progress` and `progress_state` arrive on every sampler step. For a well-formed frame these check
// exactly what the schema checks and build the same event, without zod's per-call allocations. On
// anything unusual they return null and the schema of record decides (a property test pins that both
// paths agree).

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
/** A lenient string field that the schema would keep as is: absent, null or a string. */
const plainOpt = (x: unknown) => x === undefined || x === null || typeof x === 'string';

function fastProgress(d: unknown): ComfyEvent | null {
  if (!isObj(d)) return null;
  const { value, max, prompt_id, node } = d;
  if (!isNum(value) || !isNum(max) || !plainOpt(prompt_id) || !plainOpt(node)) return null;
  const e: EventOf<'progress'> = { type: 'progress', value, max };
  if (typeof prompt_id === 'string') e.promptId = prompt_id;
  if (typeof node === 'string') e.node = node;
  return e;
}

function fastProgressNode(key: NodeId, n: unknown): NodeProgressState | null {
  if (!isObj(n)) return null;
  const { value, max, state, node_id, display_node_id, real_node_id, parent_node_id, activity } = n;
  if (!isNum(value) || !isNum(max) || typeof state !== 'string') return null;
  if (!plainOpt(node_id) || !plainOpt(display_node_id) || !plainOpt(real_node_id)) return null;
  if (!plainOpt(parent_node_id) || !plainOpt(activity)) return null;
  const out: NodeProgressState = { nodeId: typeof node_id === 'string' ? node_id : key, state, value, max };
  if (typeof display_node_id === 'string') out.displayNodeId = display_node_id;
  if (typeof real_node_id === 'string') out.realNodeId = real_node_id;
  if (parent_node_id !== undefined) out.parentNodeId = parent_node_id as NodeId | null;
  if (typeof activity === 'string') out.activity = activity;
  return out;
}

function fastProgressState(d: unknown): ComfyEvent | null {
  if (!isObj(d)) return null;
  const { prompt_id, nodes } = d;
  if (typeof prompt_id !== 'string' || !isObj(nodes)) return null;
  const out: Record<NodeId, NodeProgressState> = {};
  for (const key in nodes) {
    // `out.__proto__ = n` would set the prototype, not a key: leave that oddity to the schema
    if (!Object.hasOwn(nodes, key) || key === '__proto__') return null;
    const n = fastProgressNode(key, nodes[key]);
    if (n === null) return null;
    out[key] = n;
  }
  return { type: 'progress_state', promptId: prompt_id, nodes: out };
}

const FAST = new Map<string, (data: unknown) => ComfyEvent | null>([
  ['progress', fastProgress],
  ['progress_state', fastProgressState],
]);

/**
 * Maps one parsed frame to an event. Never throws: a non-object or a frame without a string `type` and
 * a known type with an invalid shape become `parse_error`; an unrecognised type becomes `unknown`.
 */
export function toComfyEvent(raw: unknown): ComfyEvent {
  if (typeof raw === 'object' && raw !== null) {
    const { type, data } = raw as { type?: unknown; data?: unknown };
    const fast = typeof type === 'string' ? FAST.get(type) : undefined;
    if (fast) {
      const event = fast(data);
      if (event !== null) return event;
    }
  }
  return toComfyEventViaSchemas(raw);
}

/** The reference mapping: schemas of record only, no hot-path shortcuts. */
export function toComfyEventViaSchemas(raw: unknown): ComfyEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return parseError('frame is not a JSON object', raw);
  }
  const { type, data } = raw as { type?: unknown; data?: unknown };
  if (typeof type !== 'string') return parseError('frame has no string "type"', raw);
  const mapper = MAPPERS.get(type);
  if (mapper) {
    const r = mapper(data);
    return r.ok ? r.event : parseError(`${type}: ${describeIssues(r.error)}`, raw);
  }
  const side = SIDE_CHANNEL.get(type);
  if (side) {
    const r = side.safeParse(data);
    if (!r.success) return parseError(`${type}: ${describeIssues(r.error)}`, raw);
    return { type: 'unknown', rawType: type, data: r.data };
  }
  return { type: 'unknown', rawType: type, data };
}

/**
 * The Dec 2025+/2026 jobs API (`comfy_execution/jobs.py`), emulated behind `jobsApi: true`:
 * list with status filter, sorting and pagination, detail, and the cancel endpoints.
 */
import { PyFloat } from './pyjson';
import type { HistoryEntry, QueueItem } from './queue';

export const JOB_STATUSES = ['pending', 'in_progress', 'completed', 'failed', 'cancelled'] as const;
const PREVIEWABLE = new Set(['images', 'video', 'audio', '3d', 'text']);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `validate_job_id`: canonical lowercase hyphenated UUID only. */
export const isCanonicalUuid = (v: unknown): v is string => typeof v === 'string' && UUID_RE.test(v);

/** `prune_dict`: drop keys whose value is null/undefined. */
function prune(d: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(d).filter(([, v]) => v !== null && v !== undefined));
}

type Json = Record<string, unknown>;

function metadata(extra: Json): { createTime: unknown; workflowId: unknown } {
  const pnginfo = (extra.extra_pnginfo ?? {}) as Json;
  const workflow = (pnginfo.workflow ?? {}) as Json;
  return { createTime: extra.create_time, workflowId: workflow.id };
}

export function normalizeQueueItem(item: QueueItem, status: string, includeWorkflow = false): Json {
  const [priority, id, prompt, extra] = item;
  const { createTime, workflowId } = metadata(extra);
  const job = prune({
    id,
    status,
    priority,
    create_time: createTime,
    outputs_count: 0,
    previewable_outputs_count: 0,
    workflow_id: workflowId,
  });
  if (includeWorkflow) job.workflow = { prompt, extra_data: extra };
  return job;
}

function outputsSummary(outputs: Json): { count: number; previewable: number; preview: Json | null } {
  let count = 0;
  let previewable = 0;
  let preview: Json | null = null;
  let fallback: Json | null = null;
  for (const [nodeId, nodeOutputs] of Object.entries(outputs)) {
    if (!nodeOutputs || typeof nodeOutputs !== 'object') continue;
    for (const [mediaType, items] of Object.entries(nodeOutputs as Json)) {
      if (mediaType === 'animated' || !Array.isArray(items)) continue;
      for (const item of items) {
        if (!item || typeof item !== 'object') continue;
        count++;
        if (!PREVIEWABLE.has(mediaType)) continue;
        previewable++;
        const enriched = { ...(item as Json), nodeId, mediaType: (item as Json).mediaType ?? mediaType };
        if (preview) continue;
        if ((item as Json).type === 'output') preview = enriched;
        else fallback ??= enriched;
      }
    }
  }
  return { count, previewable, preview: preview ?? fallback };
}

export function normalizeHistoryItem(id: string, entry: HistoryEntry, includeOutputs = false): Json {
  const [priority, , prompt, extra] = entry.prompt;
  const { createTime, workflowId } = metadata(extra);
  const status = entry.status;
  let start: unknown = null;
  let end: unknown = null;
  let error: unknown = null;
  let interrupted = false;
  for (const [event, data] of status?.messages ?? []) {
    if (event === 'execution_start') start = data.timestamp;
    else if (
      event === 'execution_success' ||
      event === 'execution_error' ||
      event === 'execution_interrupted'
    ) {
      end = data.timestamp;
      if (event === 'execution_error') error = data;
      if (event === 'execution_interrupted') interrupted = true;
    }
  }
  const jobStatus = status?.status_str === 'error' ? (interrupted ? 'cancelled' : 'failed') : 'completed';
  const summary = outputsSummary(entry.outputs);
  const job = prune({
    id,
    status: jobStatus,
    priority,
    create_time: createTime,
    execution_start_time: start,
    execution_end_time: end,
    execution_error: error,
    outputs_count: summary.count,
    previewable_outputs_count: summary.previewable,
    preview_output: summary.preview,
    workflow_id: workflowId,
  });
  if (includeOutputs) {
    job.outputs = entry.outputs;
    job.execution_status = status;
    job.workflow = { prompt, extra_data: extra };
  }
  return job;
}

export interface JobsQuery {
  status: string[] | null;
  workflowId: string | null;
  sortBy: 'created_at' | 'execution_duration';
  sortOrder: 'asc' | 'desc';
  limit: number | null;
  offset: number;
}

/** Parses `GET /api/jobs` query parameters; returns the server's 400 message on bad input. */
export function parseJobsQuery(q: URLSearchParams): JobsQuery | { error: string } {
  const statusParam = q.get('status');
  let status: string[] | null = null;
  if (statusParam) {
    status = statusParam
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
    const invalid = status.filter((s) => !(JOB_STATUSES as readonly string[]).includes(s));
    if (invalid.length > 0) {
      return {
        error: `Invalid status value(s): ${invalid.join(', ')}. Valid values: ${JOB_STATUSES.join(', ')}`,
      };
    }
  }
  const sortBy = (q.get('sort_by') ?? 'created_at').toLowerCase();
  if (sortBy !== 'created_at' && sortBy !== 'execution_duration') {
    return { error: "sort_by must be 'created_at' or 'execution_duration'" };
  }
  const sortOrder = (q.get('sort_order') ?? 'desc').toLowerCase();
  if (sortOrder !== 'asc' && sortOrder !== 'desc') return { error: "sort_order must be 'asc' or 'desc'" };
  let limit: number | null = null;
  if (q.has('limit')) {
    const raw = q.get('limit')!.trim();
    if (!/^[+-]?\d+$/.test(raw)) return { error: 'limit must be an integer' };
    limit = Number.parseInt(raw, 10);
    if (limit <= 0) return { error: 'limit must be a positive integer' };
  }
  let offset = 0;
  if (q.has('offset')) {
    const raw = q.get('offset')!.trim();
    if (!/^[+-]?\d+$/.test(raw)) return { error: 'offset must be an integer' };
    offset = Math.max(0, Number.parseInt(raw, 10));
  }
  return { status, workflowId: q.get('workflow_id'), sortBy, sortOrder, limit, offset };
}

const num = (v: unknown): number => (v instanceof PyFloat ? v.value : typeof v === 'number' ? v : 0);

export function listJobs(
  running: QueueItem[],
  queued: QueueItem[],
  history: Map<string, HistoryEntry>,
  q: JobsQuery,
): Json {
  const filter = q.status ?? [...JOB_STATUSES];
  let jobs: Json[] = [];
  if (filter.includes('in_progress'))
    for (const i of running) jobs.push(normalizeQueueItem(i, 'in_progress'));
  if (filter.includes('pending')) for (const i of queued) jobs.push(normalizeQueueItem(i, 'pending'));
  const wanted = new Set<string>(
    filter.filter((s) => s === 'completed' || s === 'failed' || s === 'cancelled'),
  );
  if (wanted.size > 0) {
    for (const [id, entry] of history) {
      const job = normalizeHistoryItem(id, entry);
      if (wanted.has(job.status as string)) jobs.push(job);
    }
  }
  if (q.workflowId) jobs = jobs.filter((j) => j.workflow_id === q.workflowId);
  const key =
    q.sortBy === 'execution_duration'
      ? (j: Json) => {
          const s = num(j.execution_start_time);
          const e = num(j.execution_end_time);
          return s && e ? e - s : 0;
        }
      : (j: Json) => num(j.create_time);
  // Python's sorted() is stable, including with reverse=True.
  const indexed = jobs.map((j, i) => [j, i] as const);
  indexed.sort((a, b) => {
    const d = key(a[0]) - key(b[0]);
    return d !== 0 ? (q.sortOrder === 'desc' ? -d : d) : a[1] - b[1];
  });
  const total = indexed.length;
  let page = indexed.map(([j]) => j);
  if (q.offset > 0) page = page.slice(q.offset);
  if (q.limit !== null) page = page.slice(0, q.limit);
  return {
    jobs: page,
    pagination: { offset: q.offset, limit: q.limit, total, has_more: q.offset + page.length < total },
  };
}

export function getJob(
  id: string,
  running: QueueItem[],
  queued: QueueItem[],
  history: Map<string, HistoryEntry>,
): Json | null {
  const h = history.get(id);
  if (h) return normalizeHistoryItem(id, h, true);
  const r = running.find((i) => i[1] === id);
  if (r) return normalizeQueueItem(r, 'in_progress', true);
  const p = queued.find((i) => i[1] === id);
  if (p) return normalizeQueueItem(p, 'pending', true);
  return null;
}

/**
 * Reconciliation: the server's HTTP view of the jobs we think are active, as tracker events.
 *
 * Why: the socket has no replay (comfyui-protocol.md §2.3, §10 item 5). Whatever ended while we were away, or
 * was never routed to us (prompts without our clientId), is only visible over HTTP. After every (re)connect
 * and while jobs are active without live events, the client asks here and feeds the events to the tracker.
 *
 * Rules:
 * - `/api/jobs/{id}` where the server has the jobs API; otherwise one `/queue` plus `/history/{id}` for
 *   each active job missing from the queue (bounded: never the unbounded `/history`).
 * - A finished job ends in its true outcome: the last of execution_success / execution_error /
 *   execution_interrupted in history `status.messages`, with the stored error and outputs.
 * - A job the server no longer knows (not queued, no history; 404 from the jobs API) ends `lost` when
 *   we last saw it running (a restart lost it), `cancelled` when it was pending (someone deleted it;
 *   deleted prompts never reach history). It never stays `running`.
 * - Idempotent: the tracker ignores a snapshot that changes nothing, so the same answer twice is a no-op.
 */
import type { HistoryEntry, JobDetail, QueueItem, QueueSnapshot } from './http';
import type { TrackerState } from './tracker';
import {
  type ApiPrompt,
  isTerminal,
  type JobError,
  type JobState,
  type JobStatus,
  type LocalEvent,
  type NodeId,
  type NodeOutput,
} from './types';

/** The part of `ComfyHttp` reconciliation needs (tests pass fakes). */
export interface ReconcileHttp {
  supportsJobs(): Promise<boolean>;
  job(promptId: string): Promise<JobDetail | undefined>;
  listJobs(options: {
    limit: number;
    status?: ('pending' | 'in_progress')[];
  }): Promise<{ jobs: { id: string; status: string; priority?: number }[] }>;
  queue(): Promise<QueueSnapshot>;
  history(promptId: string): Promise<HistoryEntry | undefined>;
}

export interface ReconcileOptions {
  /** Also report queued/running jobs we do not track yet (e.g. queued from the ComfyUI tab). */
  discover?: boolean;
  /** Our clientId, to mark discovered jobs we submitted ourselves as `own`. */
  clientId?: string;
  /** Upper bound on per-job detail requests in one pass. Default 50. */
  maxLookups?: number;
}

type Snapshot = Extract<LocalEvent, { type: 'local:snapshot' }>;
type Known = Pick<JobState, 'promptId' | 'status'>;

/** Active (non-terminal) jobs of a tracker state, oldest first. */
export function activeJobs(state: TrackerState): JobState[] {
  return Object.values(state.jobs)
    .filter((j) => !isTerminal(j.status))
    .sort((a, b) => (a.queuedAt ?? a.updatedAt) - (b.queuedAt ?? b.updatedAt));
}

/** Fetches what it needs for the active jobs of `state` and returns the events that bring it up to date. */
export async function reconcile(
  http: ReconcileHttp,
  state: TrackerState,
  options: ReconcileOptions = {},
): Promise<LocalEvent[]> {
  const active = activeJobs(state).slice(0, options.maxLookups ?? 50);
  if (active.length === 0 && !options.discover) return [];
  const events = (await http.supportsJobs())
    ? await viaJobsApi(http, active, state, options)
    : await viaQueueAndHistory(http, active, state, options);
  return events;
}

async function viaQueueAndHistory(
  http: ReconcileHttp,
  active: Known[],
  state: TrackerState,
  options: ReconcileOptions,
): Promise<LocalEvent[]> {
  const queue = await http.queue();
  const where = new Map<string, { item: QueueItem; running: boolean }>();
  for (const item of queue.running) where.set(item.promptId, { item, running: true });
  for (const item of queue.pending) where.set(item.promptId, { item, running: false });

  const events: LocalEvent[] = [];
  if (options.discover) events.push(...discovered(where, state, options.clientId));
  for (const job of active) {
    const queued = where.get(job.promptId);
    if (queued) {
      events.push({
        type: 'local:snapshot',
        promptId: job.promptId,
        status: queued.running ? 'running' : 'pending',
        number: queued.item.number,
      });
      continue;
    }
    // Not queued: `task_done` writes history in the same step that removes the prompt from the running
    // list, so a prompt missing from the queue we just read is either in history or gone for good.
    const entry = await http.history(job.promptId);
    events.push(entry ? snapshotFromHistory(job.promptId, entry) : gone(job));
  }
  return events;
}

async function viaJobsApi(
  http: ReconcileHttp,
  active: Known[],
  state: TrackerState,
  options: ReconcileOptions,
): Promise<LocalEvent[]> {
  const events: LocalEvent[] = [];
  if (options.discover) {
    const { jobs } = await http.listJobs({ limit: 200, status: ['in_progress', 'pending'] });
    for (const j of jobs) {
      if (state.jobs[j.id]) continue;
      events.push({ type: 'local:queued', promptId: j.id, own: false, number: j.priority });
      if (j.status === 'in_progress')
        events.push({ type: 'local:snapshot', promptId: j.id, status: 'running' });
    }
  }
  for (const job of active) {
    const detail = await http.job(job.promptId);
    events.push(detail ? snapshotFromJob(job.promptId, detail) : gone(job));
  }
  return events;
}

function discovered(
  where: Map<string, { item: QueueItem; running: boolean }>,
  state: TrackerState,
  clientId: string | undefined,
): LocalEvent[] {
  const events: LocalEvent[] = [];
  for (const [promptId, { item, running }] of where) {
    if (state.jobs[promptId]) continue;
    const itemClient = item.extraData?.client_id;
    const queued: LocalEvent = {
      type: 'local:queued',
      promptId,
      own: clientId !== undefined && itemClient === clientId,
      number: item.number,
    };
    if (typeof itemClient === 'string') queued.clientId = itemClient;
    if (item.prompt) queued.prompt = item.prompt;
    events.push(queued);
    if (running) events.push({ type: 'local:snapshot', promptId, status: 'running' });
  }
  return events;
}

/** A job that ran and ended while nobody watched, found in history. */
export interface MissedJob {
  promptId: string;
  clientId?: string;
  /** When it was queued (`extra_data.create_time` where the server stamps it, else its start). */
  createdAt: number;
  /** It ended within the news window: worth announcing, not just filing. */
  news: boolean;
}

export interface MissedOptions {
  /** History entries to read (the newest). */
  count: number;
  /** Our clientId, to mark our own jobs `own`. */
  clientId: string;
  now: () => number;
  /** Skip these: tracked already (asked after every wait, so a job seen meanwhile is not doubled). */
  tracked: (promptId: string) => boolean;
  /** Read at every lookback: at most `maxItems` entries, none created more than `maxAgeMs` ago. */
  limits?: () => { maxItems?: number; maxAgeMs?: number };
  /** Of these prompt ids (not tracked now), which the caller already has (e.g. stored): not re-added. */
  known?: (promptIds: string[]) => Promise<readonly boolean[]>;
  /** A job counts as news if it ended this recently. Default 10 min. */
  newsWindowMs?: number;
}

/**
 * Jobs that ran and ended while nobody watched (a job shorter than the gap between two status
 * broadcasts, a time we were disconnected): the newest `count` history entries that are neither tracked
 * nor `known` to the caller, within its limits, as tracker events (queued, then the terminal snapshot).
 */
export async function missedInHistory(
  http: { history(page: { maxItems: number }): Promise<Record<string, HistoryEntry>> },
  o: MissedOptions,
): Promise<{ missed: MissedJob[]; events: LocalEvent[] }> {
  const limits = o.limits?.() ?? {};
  const entries = await http.history({ maxItems: Math.min(o.count, limits.maxItems ?? o.count) });
  const ids = Object.keys(entries).filter((id) => !o.tracked(id));
  const known = ids.length && o.known ? await o.known(ids) : [];
  const now = o.now();
  const oldest = limits.maxAgeMs === undefined ? Number.NEGATIVE_INFINITY : now - limits.maxAgeMs;
  const missed: MissedJob[] = [];
  const events: LocalEvent[] = [];
  ids.forEach((id, i) => {
    if (known[i] || o.tracked(id)) return;
    const entry = entries[id]!;
    const snap = snapshotFromHistory(id, entry);
    const extra = entry.prompt?.[3] as { client_id?: unknown; create_time?: unknown } | undefined;
    const clientId = typeof extra?.client_id === 'string' ? extra.client_id : undefined;
    const created = typeof extra?.create_time === 'number' ? extra.create_time : (snap.startedAt ?? now);
    if (created < oldest) return;
    const news = snap.endedAt !== undefined && now - snap.endedAt < (o.newsWindowMs ?? 10 * 60_000);
    const who = clientId ? { clientId } : {};
    missed.push({ promptId: id, ...who, createdAt: Math.min(created, now), news });
    events.push({ type: 'local:queued', promptId: id, own: clientId === o.clientId, ...who }, snap);
  });
  return { missed, events };
}

/**
 * A pending job that vanished from the queue without reaching history was deleted (`cancelled`) or
 * forgotten by a server restart (`lost`). A running job that vanished proves a restart (running prompts
 * always reach history), and so does, in practice, a gap in the connection: then every vanished job of
 * that pass is `lost`. The client's own deletes never get here (they are applied as `local:cancelled`).
 */
export function explainVanished(events: LocalEvent[], afterGap: boolean): LocalEvent[] {
  const restarted = afterGap || events.some((e) => e.type === 'local:snapshot' && e.status === 'lost');
  if (!restarted) return events;
  return events.map((e) =>
    // only the bare "not queued, not in history" verdict; a server-reported cancel carries more fields
    e.type === 'local:snapshot' && e.status === 'cancelled' && Object.keys(e).length === 3
      ? { ...e, status: 'lost' }
      : e,
  );
}

function gone(job: Known): Snapshot {
  return {
    type: 'local:snapshot',
    promptId: job.promptId,
    status: job.status === 'pending' ? 'cancelled' : 'lost',
  };
}

/** A finished history entry as a terminal snapshot. */
export function snapshotFromHistory(promptId: string, entry: HistoryEntry): Snapshot {
  const snap = outcomeFromMessages(promptId, entry.status?.messages ?? [], entry.status?.status_str);
  const outputs = outputsOf(entry.outputs);
  if (outputs) snap.outputs = outputs;
  const prompt = entry.prompt?.[2];
  if (prompt && typeof prompt === 'object' && !Array.isArray(prompt)) snap.prompt = prompt as ApiPrompt;
  const number = entry.prompt?.[0];
  if (typeof number === 'number') snap.number = number;
  return snap;
}

const JOBS_API_STATUS: Record<string, JobStatus> = {
  pending: 'pending',
  in_progress: 'running',
  completed: 'success',
  failed: 'error',
  // The jobs API reports an interrupted run as cancelled (deleted pending jobs are 404 instead).
  cancelled: 'interrupted',
};

export function snapshotFromJob(promptId: string, job: JobDetail): Snapshot {
  const status = JOBS_API_STATUS[job.status];
  if (status === undefined || !isTerminal(status)) {
    const snap: Snapshot = { type: 'local:snapshot', promptId, status: status ?? 'running' };
    if (job.priority !== undefined) snap.number = job.priority;
    if (job.execution_start_time !== undefined) snap.startedAt = job.execution_start_time;
    return snap;
  }
  const messages = job.execution_status?.messages ?? [];
  const snap: Snapshot = messages.length
    ? outcomeFromMessages(promptId, messages, job.execution_status?.status_str)
    : { type: 'local:snapshot', promptId, status };
  if (snap.status === 'error' && !snap.error && job.execution_error)
    snap.error = jobError(job.execution_error);
  const outputs = outputsOf(job.outputs);
  if (outputs) snap.outputs = outputs;
  const prompt = (job.workflow?.prompt ?? undefined) as unknown;
  if (prompt && typeof prompt === 'object' && !Array.isArray(prompt)) snap.prompt = prompt as ApiPrompt;
  if (job.priority !== undefined) snap.number = job.priority;
  snap.startedAt ??= job.execution_start_time;
  snap.endedAt ??= job.execution_end_time;
  if (snap.startedAt === undefined) delete snap.startedAt;
  if (snap.endedAt === undefined) delete snap.endedAt;
  return snap;
}

const OUTCOMES = ['execution_success', 'execution_error', 'execution_interrupted'] as const;

/**
 * The outcome is the last of success/error/interrupted in `status.messages`, not `status_str`, which
 * says "error" for an interrupt and can be stale (comfyui-protocol.md §6).
 */
export function outcomeFromMessages(promptId: string, messages: unknown[], statusStr?: string): Snapshot {
  let last: { type: (typeof OUTCOMES)[number]; data: Record<string, unknown> } | undefined;
  let startedAt: number | undefined;
  for (const m of messages) {
    if (!Array.isArray(m) || typeof m[0] !== 'string' || !isRecord(m[1])) continue;
    const [type, data] = m as [string, Record<string, unknown>];
    if (type === 'execution_start' && typeof data.timestamp === 'number') startedAt = data.timestamp;
    if ((OUTCOMES as readonly string[]).includes(type))
      last = { type: type as (typeof OUTCOMES)[number], data };
  }
  const snap: Snapshot = { type: 'local:snapshot', promptId, status: 'success' };
  if (startedAt !== undefined) snap.startedAt = startedAt;
  if (!last) {
    snap.status = statusStr === 'success' ? 'success' : 'error';
    if (snap.status === 'error')
      snap.error = { message: 'The job failed (no details were recorded).', traceback: [] };
    return snap;
  }
  if (typeof last.data.timestamp === 'number') snap.endedAt = last.data.timestamp;
  if (last.type === 'execution_error') {
    snap.status = 'error';
    snap.error = jobError(last.data);
  } else if (last.type === 'execution_interrupted') {
    snap.status = 'interrupted';
    const at: { nodeId?: NodeId; nodeType?: string } = {};
    if (typeof last.data.node_id === 'string') at.nodeId = last.data.node_id;
    if (typeof last.data.node_type === 'string') at.nodeType = last.data.node_type;
    snap.interruptedAt = at;
  }
  return snap;
}

/** A stored `execution_error` message as a `JobError`. */
export function jobError(data: Record<string, unknown>): JobError {
  const err: JobError = {
    message: typeof data.exception_message === 'string' ? data.exception_message : 'The job failed.',
    traceback: Array.isArray(data.traceback)
      ? data.traceback.filter((l): l is string => typeof l === 'string')
      : [],
  };
  if (typeof data.node_id === 'string') err.nodeId = data.node_id;
  if (typeof data.node_type === 'string') err.nodeType = data.node_type;
  if (typeof data.exception_type === 'string') err.exceptionType = data.exception_type;
  return err;
}

function outputsOf(raw: unknown): Record<NodeId, NodeOutput> | undefined {
  if (!isRecord(raw)) return undefined;
  const out: Record<NodeId, NodeOutput> = {};
  for (const [id, o] of Object.entries(raw)) if (isRecord(o)) out[id] = o;
  return Object.keys(out).length ? out : undefined;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

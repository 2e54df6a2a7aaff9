/**
 * The read side of the extension database: every query the popup, side panel and options page run.
 * Each function is a plain async read, so the UI can wrap it in `liveQuery`/`useLiveQuery` and re-run it
 * whenever the tables it touched change. Every query goes through an index declared in `SCHEMA_V3`.
 */
import Dexie from 'dexie';
import type { JobStatus } from '../../comfy/types';
import type {
  BlobRecord,
  ComfyPulseDB,
  ConnectionRecord,
  JobRecord,
  NodeRunRecord,
  ServerRecord,
} from '../db';

export function jobKeyOf(serverId: string, promptId: string): string {
  return `${serverId}:${promptId}`;
}

export function previewBlobKey(jobKey: string): string {
  return `${jobKey}:preview`;
}

export function thumbBlobKey(jobKey: string): string {
  return `${jobKey}:thumb`;
}

export function timelapseBlobKey(jobKey: string): string {
  return `${jobKey}:timelapse`;
}

/** A server as the UI may see it: the token itself never leaves the background contexts. */
export type PublicServer = Omit<ServerRecord, 'token'> & { hasToken: boolean };

export function toPublicServer(s: ServerRecord): PublicServer {
  const { token, ...rest } = s;
  return { ...rest, hasToken: Boolean(token) };
}

export async function listServers(db: ComfyPulseDB): Promise<PublicServer[]> {
  const rows = await db.servers.orderBy('createdAt').toArray();
  return rows.map(toPublicServer);
}

export async function getServer(db: ComfyPulseDB, id: string): Promise<PublicServer | undefined> {
  const s = await db.servers.get(id);
  return s && toPublicServer(s);
}

export async function listConnections(db: ComfyPulseDB): Promise<ConnectionRecord[]> {
  return db.connections.toArray();
}

/** Pending and running jobs, oldest first (queue order), optionally for one server. */
export async function activeJobs(db: ComfyPulseDB, serverId?: string): Promise<JobRecord[]> {
  const rows =
    serverId === undefined
      ? await db.jobs.where('active').equals(1).toArray()
      : await db.jobs.where('[serverId+active]').equals([serverId, 1]).toArray();
  return rows.sort(byQueueOrder);
}

/** Running before pending; then queue number (lower runs sooner), then first seen. */
export function byQueueOrder(a: JobRecord, b: JobRecord): number {
  const run = Number(b.status === 'running') - Number(a.status === 'running');
  if (run !== 0) return run;
  const an = a.number ?? Number.POSITIVE_INFINITY;
  const bn = b.number ?? Number.POSITIVE_INFINITY;
  if (an !== bn) return an < bn ? -1 : 1;
  return a.createdAt - b.createdAt;
}

/** The last `limit` finished jobs (any terminal status), newest first: the popup's "recent" list. */
export async function recentFinished(db: ComfyPulseDB, limit = 5): Promise<JobRecord[]> {
  return db.jobs
    .orderBy('createdAt')
    .reverse()
    .filter((j) => j.active === 0)
    .limit(limit)
    .toArray();
}

export interface HistoryFilter {
  /** One status or several (e.g. every terminal status); all when absent or empty. */
  status?: JobStatus | readonly JobStatus[];
  serverId?: string;
  /** Inclusive bounds on `createdAt` (ms since epoch). */
  from?: number;
  to?: number;
  /** Page size (default 50) and start offset within the filtered, newest-first list. */
  limit?: number;
  offset?: number;
  /** Keyset cursor: only jobs created strictly before this time (the last row's `createdAt`). */
  before?: number;
  /**
   * Free text, case-insensitive: matches the workflow name, the prompt id, any node's class type, the error
   * and the output file names. Scans the index range it narrows (no text index), stopping at the page end.
   */
  text?: string;
}

/** Whether a job matches a history text search (`needle` already lower-cased and trimmed). */
export function matchesText(job: JobRecord, needle: string): boolean {
  if (!needle) return true;
  const has = (s: unknown) => typeof s === 'string' && s.toLowerCase().includes(needle);
  if (has(job.promptId) || has(job.workflowName)) return true;
  for (const cls of Object.values(job.classTypes)) if (has(cls)) return true;
  const e = job.error;
  if (e && (has(e.message) || has(e.nodeType) || has(e.exceptionType))) return true;
  if (has(job.interruptedAt?.nodeType)) return true;
  for (const out of Object.values(job.outputs)) {
    if (!out || typeof out !== 'object') continue;
    for (const list of Object.values(out)) {
      if (!Array.isArray(list)) continue;
      for (const f of list)
        if (f && typeof f === 'object' && has((f as { filename?: unknown }).filename)) return true;
    }
  }
  return false;
}

function statusesOf(filter: HistoryFilter): readonly (JobStatus | undefined)[] {
  const s = filter.status;
  if (s === undefined) return [undefined];
  if (typeof s === 'string') return [s];
  return s.length === 0 ? [undefined] : s;
}

function boundsOf(filter: HistoryFilter): [number, number] {
  const to = Math.min(filter.to ?? Number.MAX_SAFE_INTEGER, (filter.before ?? Number.POSITIVE_INFINITY) - 1);
  return [filter.from ?? 0, to];
}

/** The newest-first collection of jobs for one status (or any), through the narrowest index. */
function collectionFor(db: ComfyPulseDB, filter: HistoryFilter, status: JobStatus | undefined) {
  const [from, to] = boundsOf(filter);
  const { serverId } = filter;
  let coll: ReturnType<typeof db.jobs.toCollection>;
  if (serverId !== undefined && status !== undefined) {
    coll = db.jobs
      .where('[serverId+status+createdAt]')
      .between([serverId, status, from], [serverId, status, to], true, true);
  } else if (serverId !== undefined) {
    coll = db.jobs.where('[serverId+createdAt]').between([serverId, from], [serverId, to], true, true);
  } else if (status !== undefined) {
    coll = db.jobs.where('[status+createdAt]').between([status, from], [status, to], true, true);
  } else {
    coll = db.jobs.where('createdAt').between(from, to, true, true);
  }
  const needle = filter.text?.trim().toLowerCase();
  return needle ? coll.reverse().filter((j) => matchesText(j, needle)) : coll.reverse();
}

/** A page of history, newest first, filtered by status, server and time. */
export async function history(db: ComfyPulseDB, filter: HistoryFilter = {}): Promise<JobRecord[]> {
  const limit = filter.limit ?? 50;
  const offset = filter.offset ?? 0;
  const statuses = statusesOf(filter);
  if (statuses.length === 1) {
    return collectionFor(db, filter, statuses[0]).offset(offset).limit(limit).toArray();
  }
  // Several statuses: each index range is already sorted, so the first offset+limit of each suffice.
  const parts = await Promise.all(
    statuses.map((s) =>
      collectionFor(db, filter, s)
        .limit(offset + limit)
        .toArray(),
    ),
  );
  return parts
    .flat()
    .sort((a, b) => b.createdAt - a.createdAt || (a.key < b.key ? 1 : -1))
    .slice(offset, offset + limit);
}

/** How many jobs match the filter (ignores limit/offset), for a virtualised list's height. */
export async function historyCount(db: ComfyPulseDB, filter: HistoryFilter = {}): Promise<number> {
  const counts = await Promise.all(statusesOf(filter).map((s) => collectionFor(db, filter, s).count()));
  return counts.reduce((a, b) => a + b, 0);
}

export async function getJob(db: ComfyPulseDB, key: string): Promise<JobRecord | undefined> {
  return db.jobs.get(key);
}

/** A job's node runs in execution order (cached nodes, which have no start, first). */
export async function nodeRuns(db: ComfyPulseDB, jobKey: string): Promise<NodeRunRecord[]> {
  const rows = await db.nodeRuns.where('jobKey').equals(jobKey).toArray();
  return rows.sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0));
}

export async function getBlob(db: ComfyPulseDB, key: string): Promise<BlobRecord | undefined> {
  return db.blobs.get(key);
}

export async function jobBlobs(db: ComfyPulseDB, jobKey: string): Promise<BlobRecord[]> {
  return db.blobs.where('jobKey').equals(jobKey).toArray();
}

export async function latestPreview(db: ComfyPulseDB, jobKey: string): Promise<BlobRecord | undefined> {
  return db.blobs.get(previewBlobKey(jobKey));
}

export async function thumbnail(db: ComfyPulseDB, jobKey: string): Promise<BlobRecord | undefined> {
  return db.blobs.get(thumbBlobKey(jobKey));
}

export async function timelapse(db: ComfyPulseDB, jobKey: string): Promise<BlobRecord | undefined> {
  return db.blobs.get(timelapseBlobKey(jobKey));
}

/**
 * Per class type, the median duration (ms) of its latest `perClass` runs that executed (not cached),
 * leaving out one job's own runs (the job being compared against its history).
 */
export async function classMedians(
  db: ComfyPulseDB,
  classTypes: readonly string[],
  excludeJobKey?: string,
  perClass = 200,
): Promise<Map<string, { medianMs: number; runs: number }>> {
  const out = new Map<string, { medianMs: number; runs: number }>();
  await Promise.all(
    [...new Set(classTypes)].map(async (cls) => {
      const runs = await db.nodeRuns
        .where('[classType+startedAt]')
        .between([cls, Dexie.minKey], [cls, Dexie.maxKey])
        .reverse()
        .filter((r) => !r.cached && r.durationMs !== undefined && r.jobKey !== excludeJobKey)
        .limit(perClass)
        .toArray();
      if (runs.length === 0) return;
      const d = runs.map((r) => r.durationMs!).sort((a, b) => a - b);
      const mid = d.length >> 1;
      out.set(cls, { medianMs: d.length % 2 ? d[mid]! : (d[mid - 1]! + d[mid]!) / 2, runs: d.length });
    }),
  );
  return out;
}

export interface ClassTiming {
  classType: string;
  runs: number;
  cached: number;
  totalMs: number;
  meanMs: number;
}

/** Per node class: how often it ran and how long it took, most expensive first. */
export async function classTimings(db: ComfyPulseDB, serverId?: string): Promise<ClassTiming[]> {
  const acc = new Map<string, ClassTiming>();
  const coll =
    serverId === undefined ? db.nodeRuns.toCollection() : db.nodeRuns.where('serverId').equals(serverId);
  await coll.each((r) => {
    const cls = r.classType ?? '?';
    const t = acc.get(cls) ?? { classType: cls, runs: 0, cached: 0, totalMs: 0, meanMs: 0 };
    if (r.cached) t.cached++;
    else {
      t.runs++;
      t.totalMs += r.durationMs ?? 0;
    }
    acc.set(cls, t);
  });
  return [...acc.values()]
    .map((t) => ({ ...t, meanMs: t.runs ? t.totalMs / t.runs : 0 }))
    .sort((a, b) => b.totalMs - a.totalMs);
}

/** Terminal jobs that ended since `since` and were never announced (notifications after a worker stop). */
export async function unnotifiedFinished(db: ComfyPulseDB, since: number): Promise<JobRecord[]> {
  return db.jobs
    .where('endedAt')
    .aboveOrEqual(since)
    .filter((j) => j.active === 0 && j.notifiedAt === undefined)
    .toArray();
}

// Every SQL statement about jobs and node runs. Parameterised only: remote strings are data, never SQL.
import type pg from 'pg';
import type { JobStatus } from '../../lib/comfy/types';
import { type IngestResult, type JobRecord, MAX_EPOCH_MS, type NodeRunRecord } from '../../lib/sync/schema';
import { storableJson, storableString } from '../text';

export type StoredStatus = JobStatus | 'rejected';
export type JobSource = 'extension' | 'api';

export function statusRank(status: StoredStatus): number {
  return status === 'pending' ? 0 : status === 'running' ? 1 : 2;
}

type Queryable = pg.Pool | pg.PoolClient;

/** A job as the API returns it. */
export interface JobDto {
  promptId: string;
  server: string;
  status: StoredStatus;
  source: JobSource;
  own: boolean | null;
  clientId: string | null;
  user: string | null;
  queuedBy: string | null;
  number: number | null;
  queuedAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  createdAt: number;
  updatedAt: number;
  durationMs: number | null;
  currentNode: string | null;
  progress: number;
  outputs: Record<string, Record<string, unknown>>;
  error: unknown;
  nodeErrors: unknown;
  webhookStatus: string | null;
  hasPreview: boolean;
  rev: number;
  /** The workflow's name, when whoever started the job gave one (`POST /v1/prompts`). */
  workflowName: string | null;
  /** The client that started the job through the API, as it named itself (e.g. "n8n"). */
  client: string | null;
  /** Class type of the running node, when its node run is known. */
  currentClass: string | null;
  /** Class type of each output node whose node run is known (node id -> class type). */
  outputClasses: Record<string, string>;
}

const JOB_COLUMNS = `j.seq, j.server, j.prompt_id, j.status, j.source, j.own, j.client_id, j.user_name, j.queued_by,
  j.number, j.queued_at, j.started_at, j.ended_at, j.created_at, j.updated_at, j.current_node, j.progress,
  j.outputs, j.error, j.node_errors, j.webhook_status, j.rev, j.workflow_name, j.client_name,
  EXISTS (SELECT 1 FROM job_previews p WHERE p.server = j.server AND p.prompt_id = j.prompt_id) AS has_preview,
  (SELECT m.class_type FROM model_usage_log m
    WHERE m.server = j.server AND m.prompt_id = j.prompt_id AND m.node_id = j.current_node) AS current_class,
  -- One primary-key lookup per output node (a job has few), not a scan of all its node runs.
  (SELECT jsonb_object_agg(m.node_id, m.class_type) FROM jsonb_object_keys(j.outputs) AS o(node_id)
    JOIN model_usage_log m ON m.server = j.server AND m.prompt_id = j.prompt_id AND m.node_id = o.node_id
    WHERE m.class_type IS NOT NULL) AS output_classes`;

interface JobRow {
  seq: string;
  server: string;
  prompt_id: string;
  status: StoredStatus;
  source: JobSource;
  own: boolean | null;
  client_id: string | null;
  user_name: string | null;
  queued_by: string | null;
  number: number | null;
  queued_at: Date | null;
  started_at: Date | null;
  ended_at: Date | null;
  created_at: Date;
  updated_at: string;
  current_node: string | null;
  progress: number;
  outputs: Record<string, Record<string, unknown>>;
  error: unknown;
  node_errors: unknown;
  webhook_status: string | null;
  rev: string;
  workflow_name: string | null;
  client_name: string | null;
  has_preview: boolean;
  current_class: string | null;
  output_classes: Record<string, string> | null;
}

const ms = (d: Date | null) => (d ? d.getTime() : null);

export function rowToDto(r: JobRow): JobDto {
  const startedAt = ms(r.started_at);
  const endedAt = ms(r.ended_at);
  return {
    promptId: r.prompt_id,
    server: r.server,
    status: r.status,
    source: r.source,
    own: r.own,
    clientId: r.client_id,
    user: r.user_name,
    queuedBy: r.queued_by,
    number: r.number,
    queuedAt: ms(r.queued_at),
    startedAt,
    endedAt,
    createdAt: r.created_at.getTime(),
    updatedAt: Number(r.updated_at),
    durationMs: startedAt !== null && endedAt !== null ? endedAt - startedAt : null,
    currentNode: r.current_node,
    progress: r.progress,
    outputs: r.outputs,
    error: r.error,
    nodeErrors: r.node_errors,
    webhookStatus: r.webhook_status,
    hasPreview: r.has_preview,
    rev: Number(r.rev),
    workflowName: r.workflow_name,
    client: r.client_name,
    currentClass: r.current_class,
    outputClasses: r.output_classes ?? {},
  };
}

/** A job record as the server itself writes it (job start) or as ingested (extension). */
export interface JobWrite extends JobRecord {
  source: JobSource;
  queuedBy: string;
  nodeErrors?: unknown;
  webhookUrl?: string;
  statusOverride?: 'rejected';
  /** Labels given at job start (`POST /v1/prompts`); once stored, a write without them keeps them. */
  workflowName?: string;
  client?: string;
}

/** The job records of one ingest request (or one server-side write). */
export interface JobWriteGroup {
  /**
   * The API key that sent them, or null for the server's own writes. The key is re-checked inside the
   * statement, so a key revoked meanwhile writes nothing; it becomes the owner of the jobs it creates.
   */
  keyId: number | null;
  writes: JobWrite[];
}

/** What became of one record: stored, already stored as new or newer, or refused for this record. */
export type WriteOutcome = Extract<IngestResult, { status: 'applied' | 'unchanged' }> | RefusedWrite;
export interface RefusedWrite {
  status: 'rejected';
  code: 'not_owner' | 'unstorable';
  message: string;
}

export interface GroupResult {
  /** Per group, per record in order (all `unchanged` for a group whose key is not live). */
  outcomes: WriteOutcome[][];
  /** Per group: false when its key was revoked (or deleted) by the time the statement ran. */
  keyLive: boolean[];
}

const APPLIED: WriteOutcome = { status: 'applied' };
const UNCHANGED: WriteOutcome = { status: 'unchanged' };
const NOT_OWNER: WriteOutcome = {
  status: 'rejected',
  code: 'not_owner',
  message: 'This job belongs to another API key (or to the server, which tracks it itself)',
};

/**
 * Upserts job records and their node runs in one statement. A record replaces the stored one only when
 * (updatedAt, status rank, progress) is strictly greater, so replays and re-ordered batches change
 * nothing and an older record never overwrites a newer one. Node runs are written only with the job
 * version that carried them.
 *
 * Ownership: a job belongs to the key that created it; a key's write to a job owned by another key, or
 * by the server (source 'api'), is refused for that record. The server's own writes (keyId null) always
 * apply and make the job the server's. `queued_by` keeps the owner's name.
 *
 * Several groups (concurrent ingest requests) share one statement, which is one transaction: the result
 * is that of applying the groups one after another in order (newest wins whatever the order; an exact
 * tie is credited to the earliest record). Precondition (kept by IngestWriter): within one call, all
 * records of one job come from one key. A group whose key is not live in the statement's snapshot is
 * skipped entirely.
 */
export async function writeJobGroups(
  db: Queryable,
  groups: JobWriteGroup[],
  opts: { prepared?: boolean } = {},
): Promise<GroupResult> {
  const input: unknown[] = [];
  const keyIds = new Set<number>();
  for (const g of groups) {
    if (g.keyId !== null) keyIds.add(g.keyId);
    for (const w of g.writes) input.push(toInputRow(w, input.length, g.keyId));
  }
  // Prepared (named), it is parsed and planned once per connection instead of on every flush. Not on
  // PGlite: its socket connections share one backend, so a name prepared through one connection clashes
  // with the same name prepared through another.
  const res = await db.query<{
    applied: number[] | null;
    refused: number[] | null;
    absent: number[] | null;
    live: string[];
  }>({
    ...(opts.prepared && { name: 'comfypulse_upsert_jobs' }),
    text: UPSERT_SQL,
    values: [storableJson(JSON.stringify(input)), [...keyIds]],
  });
  const row = res.rows[0];
  const live = new Set((row?.live ?? []).map(Number));
  const outcomes: WriteOutcome[] = new Array(input.length).fill(UNCHANGED);
  for (const i of row?.applied ?? []) outcomes[i] = APPLIED;
  for (const i of row?.refused ?? []) outcomes[i] = NOT_OWNER;
  // A job missing from the snapshot that the statement did not write was created by a concurrent
  // transaction. Set apart here rather than with an anti-join on `up` in SQL: the generic plan ran that
  // as a nested loop over both CTEs, quadratic in the batch (at 2000 new jobs, 2 million row comparisons
  // and about a third of the statement's time).
  const written = new Set(row?.applied);
  const raced = (row?.absent ?? []).filter((i) => !written.has(i));
  if (raced.length > 0) await settleRaced(db, groups, raced, outcomes);
  let next = 0;
  return {
    outcomes: groups.map((g) => g.writes.map(() => outcomes[next++]!)),
    keyLive: groups.map((g) => g.keyId === null || live.has(g.keyId)),
  };
}

/**
 * Jobs another transaction created while this statement ran (so they were not in its snapshot, and the
 * conflict check found the row only then): their owner is read afterwards. Ownership never passes from
 * one key to another, so reading it later gives the answer the statement would have given.
 */
async function settleRaced(
  db: Queryable,
  groups: JobWriteGroup[],
  raced: number[],
  outcomes: WriteOutcome[],
): Promise<void> {
  const flat = groups.flatMap((g) => g.writes.map((w) => ({ w, keyId: g.keyId })));
  // Keys as stored: the statement stored storable strings.
  const stored = (w: JobWrite) =>
    jobKey({ server: storableString(w.server), promptId: storableString(w.promptId) });
  const racedJobs = new Map(raced.map((i) => [stored(flat[i]!.w), flat[i]!.w]));
  const jobs = [...racedJobs.values()];
  const owners = await db.query<{
    server: string;
    prompt_id: string;
    source: JobSource;
    owner: string | null;
  }>(
    `SELECT j.server, j.prompt_id, j.source, j.owner_key_id AS owner FROM jobs j
     JOIN unnest($1::text[], $2::text[]) AS x(server, prompt_id) USING (server, prompt_id)`,
    [jobs.map((w) => storableString(w.server)), jobs.map((w) => storableString(w.promptId))],
  );
  const ownerOf = new Map(owners.rows.map((r) => [jobKey({ server: r.server, promptId: r.prompt_id }), r]));
  flat.forEach(({ w, keyId }, i) => {
    const k = stored(w);
    if (keyId === null || !racedJobs.has(k)) return;
    const o = ownerOf.get(k);
    const owned = o && o.source === 'extension' && (o.owner === null || Number(o.owner) === keyId);
    outcomes[i] = owned ? UNCHANGED : NOT_OWNER;
  });
}

/** Identifies a job across servers. */
export const jobKey = (w: { server: string; promptId: string }) => `${w.server}\u0000${w.promptId}`;

/** Server-side writes (jobs started through the API): no key to re-check. Returns how many applied. */
export async function upsertJobs(db: Queryable, writes: JobWrite[]): Promise<number> {
  if (writes.length === 0) return 0;
  const { outcomes } = await writeJobGroups(db, [{ keyId: null, writes }]);
  return outcomes[0]!.filter((o) => o.status === 'applied').length;
}

function toInputRow(w: JobWrite, idx: number, keyId: number | null) {
  const status: StoredStatus = w.statusOverride ?? w.status;
  return {
    idx,
    key_id: keyId,
    server: w.server,
    prompt_id: w.promptId,
    status,
    status_rank: statusRank(status),
    source: w.source,
    own: w.own,
    client_id: w.clientId ?? null,
    user_name: w.user ?? null,
    queued_by: w.queuedBy,
    number: w.number ?? null,
    queued_at: w.queuedAt ?? null,
    started_at: w.startedAt ?? null,
    ended_at: w.endedAt ?? null,
    updated_at: w.updatedAt,
    created_at: w.queuedAt ?? w.startedAt ?? w.updatedAt,
    current_node: w.currentNode,
    progress: w.progress,
    outputs: w.outputs,
    error: w.error ?? null,
    node_errors: w.nodeErrors ?? null,
    webhook_url: w.webhookUrl ?? null,
    workflow_name: w.workflowName ?? null,
    client_name: w.client ?? null,
    nodes: w.nodes.map((n: NodeRunRecord) => ({
      node_id: n.nodeId,
      display_node_id: n.displayNodeId ?? null,
      class_type: n.classType ?? null,
      state: n.state,
      cached: n.cached,
      started_at: n.startedAt ?? null,
      ended_at: n.endedAt ?? null,
      duration_ms: n.durationMs ?? null,
    })),
  };
}

const ts = (col: string) => `CASE WHEN ${col} IS NULL THEN NULL ELSE to_timestamp(${col} / 1000.0) END`;

/** A key's write may change a stored job: the key owns it, or nobody does (a job from before ownership). */
const mayWrite = (job: string, keyId: string) =>
  `(${job}.source = 'extension' AND (${job}.owner_key_id IS NULL OR ${job}.owner_key_id = ${keyId}))`;

// Every CTE and the final SELECT read `jobs` as of the statement's snapshot (before its own writes).
// Only jobs the statement did not write need a look: `refused` names records refused because another key
// (or the server) owns the job; `absent` names the input's jobs that are not in the snapshot, and those
// of them that the statement did not write (`applied` lacks them) were created by a concurrent
// transaction. Both look a job up with a scalar subquery, which PostgreSQL runs per record through the
// (server, prompt_id) index: written as a join, the cached generic plan hashed the whole table on every
// statement, a cost that grew with the table. `refused` keeps its anti-join on `up`: only records the
// snapshot already refuses reach it, which is none in ordinary traffic.
const notWritten = (alias: string) =>
  `NOT EXISTS (SELECT 1 FROM up WHERE up.server = ${alias}.server AND up.prompt_id = ${alias}.prompt_id)`;
const storedJob = (alias: string, select: string) =>
  `(SELECT ${select} FROM jobs j WHERE j.server = ${alias}.server AND j.prompt_id = ${alias}.prompt_id LIMIT 1)`;

const UPSERT_SQL = `
WITH raw AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
    idx integer, key_id bigint, server text, prompt_id text, status text, status_rank smallint, source text,
    own boolean, client_id text, user_name text, queued_by text, number double precision,
    queued_at double precision, started_at double precision, ended_at double precision, updated_at bigint,
    created_at double precision, current_node text, progress double precision, outputs jsonb, error jsonb,
    node_errors jsonb, webhook_url text, workflow_name text, client_name text, nodes jsonb)
), live AS (
  SELECT id FROM api_keys WHERE id = ANY($2::bigint[]) AND revoked_at IS NULL
), input AS (
  -- One statement may not touch a row twice: keep the newest version of each job in the batch.
  SELECT DISTINCT ON (server, prompt_id) * FROM raw
  WHERE key_id IS NULL OR key_id IN (SELECT id FROM live)
  ORDER BY server, prompt_id, updated_at DESC, status_rank DESC, progress DESC, idx
), up AS (
  INSERT INTO jobs AS j (server, prompt_id, status, status_rank, source, own, client_id, user_name, queued_by,
    number, queued_at, started_at, ended_at, updated_at, created_at, current_node, progress, outputs, error,
    node_errors, webhook_url, owner_key_id, workflow_name, client_name)
  SELECT server, prompt_id, status, status_rank, source, own, client_id, user_name, queued_by, number,
    ${ts('queued_at')}, ${ts('started_at')}, ${ts('ended_at')}, updated_at, to_timestamp(created_at / 1000.0),
    current_node, progress, COALESCE(outputs, '{}'::jsonb), error, node_errors, webhook_url, key_id,
    workflow_name, client_name
  FROM input
  ON CONFLICT (server, prompt_id) DO UPDATE SET
    status = excluded.status, status_rank = excluded.status_rank, own = COALESCE(excluded.own, j.own),
    client_id = COALESCE(excluded.client_id, j.client_id), user_name = COALESCE(excluded.user_name, j.user_name),
    number = COALESCE(excluded.number, j.number), queued_at = COALESCE(excluded.queued_at, j.queued_at),
    started_at = COALESCE(excluded.started_at, j.started_at), ended_at = COALESCE(excluded.ended_at, j.ended_at),
    updated_at = excluded.updated_at, current_node = excluded.current_node, progress = excluded.progress,
    outputs = excluded.outputs, error = excluded.error,
    node_errors = COALESCE(excluded.node_errors, j.node_errors),
    webhook_url = COALESCE(j.webhook_url, excluded.webhook_url),
    workflow_name = COALESCE(excluded.workflow_name, j.workflow_name),
    client_name = COALESCE(excluded.client_name, j.client_name),
    -- Only the owner (or the server, which then owns the job) gets here, so these change only when the
    -- server takes over a job an extension wrote first, or a key claims an unowned one.
    source = excluded.source, owner_key_id = excluded.owner_key_id,
    queued_by = CASE WHEN j.source = excluded.source THEN j.queued_by ELSE excluded.queued_by END,
    rev = nextval('jobs_rev_seq')
  WHERE (excluded.updated_at, excluded.status_rank, excluded.progress) > (j.updated_at, j.status_rank, j.progress)
    AND (excluded.owner_key_id IS NULL OR ${mayWrite('j', 'excluded.owner_key_id')})
  RETURNING j.server, j.prompt_id
), nodes AS (
  INSERT INTO model_usage_log AS m (server, prompt_id, node_id, display_node_id, class_type, state, cached,
    started_at, ended_at, duration_ms)
  SELECT DISTINCT ON (i.server, i.prompt_id, n.node_id) i.server, i.prompt_id, n.node_id, n.display_node_id,
    n.class_type, n.state, n.cached, ${ts('n.started_at')}, ${ts('n.ended_at')}, n.duration_ms
  FROM input i
  JOIN up ON up.server = i.server AND up.prompt_id = i.prompt_id
  CROSS JOIN LATERAL jsonb_to_recordset(i.nodes) AS n(node_id text, display_node_id text, class_type text,
    state text, cached boolean, started_at double precision, ended_at double precision, duration_ms double precision)
  ORDER BY i.server, i.prompt_id, n.node_id
  ON CONFLICT (server, prompt_id, node_id) DO UPDATE SET
    display_node_id = excluded.display_node_id, class_type = COALESCE(excluded.class_type, m.class_type),
    state = excluded.state, cached = excluded.cached, started_at = excluded.started_at,
    ended_at = excluded.ended_at, duration_ms = excluded.duration_ms
  RETURNING 1
)
SELECT
  (SELECT array_agg(i.idx) FROM input i JOIN up USING (server, prompt_id)) AS applied,
  (SELECT array_agg(r.idx) FROM raw r
    WHERE r.key_id IS NOT NULL AND ${notWritten('r')} AND ${storedJob('r', `NOT ${mayWrite('j', 'r.key_id')}`)}) AS refused,
  (SELECT array_agg(i.idx) FROM input i WHERE ${storedJob('i', '1')} IS NULL) AS absent,
  (SELECT COALESCE(array_agg(id), '{}') FROM live) AS live,
  (SELECT count(*) FROM nodes) AS nodes`;

export interface ListFilter {
  status?: StoredStatus[];
  server?: string;
  source?: JobSource;
  since?: number;
  until?: number;
}

export interface Cursor {
  createdAt: number;
  seq: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.createdAt}:${c.seq}`).toString('base64url');
}

/** A cursor this server could have issued: an instant within range and a bigint seq, else null. */
export function decodeCursor(s: string): Cursor | null {
  const m = /^(\d{1,16}):(\d{1,18})$/.exec(Buffer.from(s, 'base64url').toString());
  return m && Number(m[1]) <= MAX_EPOCH_MS ? { createdAt: Number(m[1]), seq: m[2]! } : null;
}

function filterSql(f: ListFilter, params: unknown[]): string[] {
  const where: string[] = [];
  const add = (clause: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  if (f.status?.length) add((p) => `j.status = ANY(${p}::text[])`, f.status);
  if (f.server !== undefined) add((p) => `j.server = ${p}`, f.server);
  if (f.source !== undefined) add((p) => `j.source = ${p}`, f.source);
  if (f.since !== undefined) add((p) => `j.created_at >= to_timestamp(${p} / 1000.0)`, f.since);
  if (f.until !== undefined) add((p) => `j.created_at < to_timestamp(${p} / 1000.0)`, f.until);
  return where;
}

/**
 * Newest first by (created_at, seq). Both are immutable once a job exists, so a cursor taken from the
 * last row of a page never skips or repeats rows when jobs are updated or inserted meanwhile.
 */
export async function listJobs(
  db: Queryable,
  f: ListFilter,
  limit: number,
  cursor: Cursor | null,
): Promise<{ jobs: JobDto[]; nextCursor: string | null }> {
  const params: unknown[] = [];
  const where = filterSql(f, params);
  if (cursor) {
    params.push(cursor.createdAt, cursor.seq);
    // Milliseconds are exact in the cursor; created_at is stored from ms, so the round trip is lossless.
    where.push(
      `(j.created_at, j.seq) < (to_timestamp($${params.length - 1} / 1000.0), $${params.length}::bigint)`,
    );
  }
  params.push(limit + 1);
  const sql = `SELECT ${JOB_COLUMNS} FROM jobs j ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY j.created_at DESC, j.seq DESC LIMIT $${params.length}`;
  const res = await db.query<JobRow>(sql, params);
  const rows = res.rows.slice(0, limit);
  const last = rows[rows.length - 1];
  return {
    jobs: rows.map(rowToDto),
    nextCursor:
      res.rows.length > limit && last
        ? encodeCursor({ createdAt: last.created_at.getTime(), seq: last.seq })
        : null,
  };
}

export interface NodeRunDto {
  nodeId: string;
  displayNodeId: string | null;
  classType: string | null;
  state: string;
  cached: boolean;
  startedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
}

/**
 * The newest job with this prompt id (a prompt id is a UUID; `server` disambiguates if ever needed), or
 * only among jobs of one source.
 */
export async function getJob(
  db: Queryable,
  promptId: string,
  server?: string,
  source?: JobSource,
): Promise<(JobDto & { nodes: NodeRunDto[] }) | null> {
  const params: unknown[] = [promptId];
  const where = ['j.prompt_id = $1'];
  if (server !== undefined) where.push(`j.server = $${params.push(server)}`);
  if (source !== undefined) where.push(`j.source = $${params.push(source)}`);
  const res = await db.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM jobs j WHERE ${where.join(' AND ')} ORDER BY j.created_at DESC LIMIT 1`,
    params,
  );
  const row = res.rows[0];
  if (!row) return null;
  const nodes = await db.query<{
    node_id: string;
    display_node_id: string | null;
    class_type: string | null;
    state: string;
    cached: boolean;
    started_at: Date | null;
    ended_at: Date | null;
    duration_ms: number | null;
  }>(
    `SELECT node_id, display_node_id, class_type, state, cached, started_at, ended_at, duration_ms
     FROM model_usage_log WHERE server = $1 AND prompt_id = $2 ORDER BY started_at NULLS LAST, node_id`,
    [row.server, row.prompt_id],
  );
  return {
    ...rowToDto(row),
    nodes: nodes.rows.map((n) => ({
      nodeId: n.node_id,
      displayNodeId: n.display_node_id,
      classType: n.class_type,
      state: n.state,
      cached: n.cached,
      startedAt: ms(n.started_at),
      endedAt: ms(n.ended_at),
      durationMs: n.duration_ms,
    })),
  };
}

export async function jobsBySeq(db: Queryable, seqs: string[]): Promise<JobDto[]> {
  const res = await db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs j WHERE j.seq = ANY($1::bigint[])`, [
    seqs,
  ]);
  return res.rows.map(rowToDto);
}

/** Changes after a stream event id, oldest first: the Last-Event-ID catch-up. */
export async function jobsAfterRev(db: Queryable, rev: number, limit: number): Promise<JobDto[]> {
  const res = await db.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM jobs j WHERE j.rev > $1 ORDER BY j.rev LIMIT $2`,
    [rev, limit],
  );
  return res.rows.map(rowToDto);
}

export interface NodeClassStat {
  classType: string;
  runs: number;
  cachedRuns: number;
  totalMs: number;
  avgMs: number;
  /** The median duration of the executed runs (interpolated between the middle two when even). */
  medianMs: number;
  maxMs: number;
  /** The slowest executed runs, slowest first (at most SLOWEST_RUNS). */
  slowest: SlowRun[];
}

export interface SlowRun {
  server: string;
  promptId: string;
  nodeId: string;
  durationMs: number;
  startedAt: number | null;
  /** The job's workflow name, when known. */
  workflowName: string | null;
}

const CLASS = "COALESCE(m.class_type, '(unknown)')";

/** How many of each class's slowest runs the stats name. */
export const SLOWEST_RUNS = 3;

export interface NodeStatsQuery {
  sinceMs: number;
  limit: number;
  server?: string;
}

/**
 * Which node classes cost the most time: executed (non-cached) runs with a known duration, most total
 * time first, with each class's median and its slowest runs (`percentile_cont` and a window function,
 * alike on PostgreSQL and PGlite). Both sort the window's executed runs: measured at 100,000 runs, about
 * 4x the cost of the totals alone.
 */
export async function nodeClassStats(db: Queryable, q: NodeStatsQuery): Promise<NodeClassStat[]> {
  const params: unknown[] = [q.sinceMs, q.limit, SLOWEST_RUNS];
  const byServer = q.server === undefined ? '' : `AND m.server = $${params.push(q.server)}`;
  // Runs with no start time (cached ones) count whatever the window.
  const inWindow = `(m.started_at IS NULL OR m.started_at >= to_timestamp($1 / 1000.0)) ${byServer}`;
  const res = await db.query<{
    class_type: string;
    runs: string;
    cached_runs: string;
    total_ms: number | null;
    avg_ms: number | null;
    median_ms: number | null;
    max_ms: number | null;
    slowest:
      | {
          server: string;
          prompt_id: string;
          node_id: string;
          duration_ms: number;
          started_at: number | null;
          workflow_name: string | null;
        }[]
      | null;
  }>(
    `WITH classes AS MATERIALIZED (
       SELECT ${CLASS} AS class_type,
         count(*) FILTER (WHERE NOT m.cached) AS runs, count(*) FILTER (WHERE m.cached) AS cached_runs,
         COALESCE(sum(m.duration_ms) FILTER (WHERE NOT m.cached), 0) AS total_ms,
         avg(m.duration_ms) FILTER (WHERE NOT m.cached) AS avg_ms,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY m.duration_ms) FILTER (WHERE NOT m.cached) AS median_ms,
         max(m.duration_ms) FILTER (WHERE NOT m.cached) AS max_ms
       FROM model_usage_log m WHERE ${inWindow}
       GROUP BY 1 ORDER BY total_ms DESC, class_type LIMIT $2
     ), slowest AS MATERIALIZED (
       -- Ranked once for all classes, on narrow rows; the few picked are read back by row address.
       SELECT r.tid, r.class_type, r.rank FROM (
         SELECT m.ctid AS tid, ${CLASS} AS class_type,
           row_number() OVER (PARTITION BY ${CLASS} ORDER BY m.duration_ms DESC, m.started_at DESC NULLS LAST) AS rank
         FROM model_usage_log m WHERE ${inWindow} AND NOT m.cached AND m.duration_ms IS NOT NULL
       ) r WHERE r.rank <= $3 AND r.class_type IN (SELECT class_type FROM classes)
     )
     SELECT c.*,
       (SELECT json_agg(json_build_object('server', m.server, 'prompt_id', m.prompt_id, 'node_id', m.node_id,
           'duration_ms', m.duration_ms, 'started_at', (extract(epoch FROM m.started_at) * 1000)::float8,
           'workflow_name', j.workflow_name) ORDER BY s.rank)
         FROM slowest s JOIN model_usage_log m ON m.ctid = s.tid
         JOIN jobs j ON j.server = m.server AND j.prompt_id = m.prompt_id
         WHERE s.class_type = c.class_type) AS slowest
     FROM classes c ORDER BY c.total_ms DESC, c.class_type`,
    params,
  );
  return res.rows.map((r) => ({
    classType: r.class_type,
    runs: Number(r.runs),
    cachedRuns: Number(r.cached_runs),
    totalMs: r.total_ms ?? 0,
    avgMs: r.avg_ms ?? 0,
    medianMs: r.median_ms ?? 0,
    maxMs: r.max_ms ?? 0,
    slowest: (r.slowest ?? []).map((s) => ({
      server: s.server,
      promptId: s.prompt_id,
      nodeId: s.node_id,
      durationMs: s.duration_ms,
      startedAt: s.started_at === null ? null : Math.round(s.started_at),
      workflowName: s.workflow_name,
    })),
  }));
}

export interface ServerSeen {
  server: string;
  jobs: number;
  active: number;
  lastAt: number;
}

/** The ComfyUI servers that had jobs since an instant, most recently active first (the dashboard's filter). */
export async function serversSeen(db: Queryable, sinceMs: number, limit: number): Promise<ServerSeen[]> {
  const res = await db.query<{ server: string; jobs: string; active: string; last_at: Date }>(
    `SELECT server, count(*) AS jobs, count(*) FILTER (WHERE status IN ('pending', 'running')) AS active,
       max(created_at) AS last_at
     FROM jobs WHERE created_at >= to_timestamp($1 / 1000.0)
     GROUP BY server ORDER BY last_at DESC, server LIMIT $2`,
    [sinceMs, limit],
  );
  return res.rows.map((r) => ({
    server: r.server,
    jobs: Number(r.jobs),
    active: Number(r.active),
    lastAt: r.last_at.getTime(),
  }));
}

export async function savePreview(
  db: Queryable,
  server: string,
  promptId: string,
  mime: string,
  bytes: Uint8Array,
  seq: number,
): Promise<void> {
  await db.query(
    `INSERT INTO job_previews (server, prompt_id, mime, bytes, preview_seq) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (server, prompt_id) DO UPDATE SET mime = excluded.mime, bytes = excluded.bytes,
       preview_seq = excluded.preview_seq, updated_at = now()
     WHERE excluded.preview_seq > job_previews.preview_seq`,
    [server, promptId, mime, Buffer.from(bytes), seq],
  );
}

export async function getPreview(
  db: Queryable,
  server: string,
  promptId: string,
): Promise<{ mime: string; bytes: Buffer } | null> {
  const res = await db.query<{ mime: string; bytes: Buffer }>(
    'SELECT mime, bytes FROM job_previews WHERE server = $1 AND prompt_id = $2',
    [server, promptId],
  );
  return res.rows[0] ?? null;
}

export async function setWebhookStatus(db: Queryable, server: string, promptId: string, status: string) {
  await db.query('UPDATE jobs SET webhook_status = $3 WHERE server = $1 AND prompt_id = $2', [
    server,
    promptId,
    status,
  ]);
}

/**
 * Claims the right to call a job's webhook: only one caller (instance) ever gets the URL back, so a job
 * tracked by two instances (an adopted orphan) is announced once.
 */
export async function claimWebhook(db: Queryable, server: string, promptId: string): Promise<string | null> {
  const res = await db.query<{ webhook_url: string }>(
    `UPDATE jobs SET webhook_status = 'sending'
     WHERE server = $1 AND prompt_id = $2 AND webhook_url IS NOT NULL AND webhook_status IS NULL
     RETURNING webhook_url`,
    [server, promptId],
  );
  return res.rows[0]?.webhook_url ?? null;
}

/** Jobs started through the API that nobody has written for a while and that have not ended. */
export async function orphanedApiJobs(
  db: Queryable,
  servers: string[],
  staleBeforeMs: number,
  limit: number,
): Promise<{ server: string; promptId: string; updatedAt: number; queuedBy: string | null }[]> {
  if (servers.length === 0) return [];
  const res = await db.query<{
    server: string;
    prompt_id: string;
    updated_at: string;
    queued_by: string | null;
  }>(
    `SELECT server, prompt_id, updated_at, queued_by FROM jobs
     WHERE source = 'api' AND status IN ('pending', 'running') AND server = ANY($1::text[]) AND updated_at < $2
     ORDER BY created_at LIMIT $3`,
    [servers, staleBeforeMs, limit],
  );
  return res.rows.map((r) => ({
    server: r.server,
    promptId: r.prompt_id,
    updatedAt: Number(r.updated_at),
    queuedBy: r.queued_by,
  }));
}

/**
 * One configured ComfyUI server, as the engine runs it: a `ComfySocket` with the server's stable
 * clientId, a `FrameDecoder`, the job tracker, HTTP reconciliation and polling, the coalescing writer,
 * live broadcasts, output thumbnails and cancel.
 *
 * Invariants:
 * - Every frame that changes a job is broadcast on the live channel at once (the UI's low-latency path);
 *   the database gets it through the writer (coalesced).
 * - Reconcile after every open; poll only while the server's queue holds jobs we cannot see live
 *   (other clients' jobs, or the queue length says more than we track), 2 s backing off to 10 s.
 * - A cancel touches only the job the user picked: a running job is interrupted only after the server
 *   confirmed it is the one running, unless the server has the atomic jobs cancel endpoint.
 */

import { type CancelResult, cancelExactly } from '../../comfy/cancel';
import { FrameDecoder } from '../../comfy/decode';
import type { ComfyError } from '../../comfy/errors';
import { type ComfyHttp, createComfyHttp, type QueueItem } from '../../comfy/http';
import { outputFiles } from '../../comfy/messages';
import { reconcile, snapshotFromHistory } from '../../comfy/reconcile';
import { ComfySocket, type HandshakeVerdict } from '../../comfy/socket';
import {
  changedJobs,
  forgetJobs,
  initialTrackerState,
  reduceTracker,
  type TrackerState,
} from '../../comfy/tracker';
import {
  type ApiPrompt,
  type Clock,
  type ComfyEvent,
  type ConnectionState,
  type FetchLike,
  isTerminal,
  type JobState,
  type OutputFile,
  type Random,
  type TrackerEvent,
  type WebSocketCtor,
} from '../../comfy/types';
import { PREVIEW_FRAME, TAPPED_TYPES } from '../bridge/tap';
import type { BlobRecord, ComfyPulseDB, ConnectionRecord, JobRecord, ServerRecord } from '../db';
import { errorText } from '../error-text';
import type { CancelOutcome, LiveMessage } from '../protocol';
import { jobKeyOf, thumbBlobKey } from '../storage/repo';
import { toJobState } from './records';
import { type Flushed, JobWriter } from './writer';

export interface ConnectionDeps {
  db: ComfyPulseDB;
  WebSocket: WebSocketCtor;
  fetch: FetchLike;
  clock: Clock;
  random?: Random;
  broadcast(msg: LiveMessage): void;
  /** A job reached a terminal status and is stored (thumbnail included when there is one). */
  onFinished(jobKey: string): void;
  /** Something that changes the activity summary happened (throttled by the engine). */
  onActivity(): void;
  onFlushed?(f: Flushed): void;
  /** The plain-language detail for a non-connected state (localised by the engine). */
  describe(state: ConnectionState, error: ComfyError | null): string | undefined;
  previewsEnabled(): boolean;
  /** Retention, so history discovery never re-adds what retention removed. */
  retention?(): { maxJobs: number; maxDays: number };
  log?(msg: string, e?: unknown): void;
  timing?: Partial<ConnectionTiming>;
}

export interface ConnectionTiming {
  flushMs: number;
  pollMinMs: number;
  pollMaxMs: number;
  /** Terminal jobs stay in the tracker this long (late frames must not resurrect them). */
  forgetAfterMs: number;
  thumbMaxBytes: number;
  /** Larger preview frames are neither broadcast nor stored (the job still counts them). */
  previewMaxBytes: number;
}

const DEFAULT_TIMING: ConnectionTiming = {
  flushMs: 250,
  pollMinMs: 2000,
  pollMaxMs: 10_000,
  forgetAfterMs: 60_000,
  thumbMaxBytes: 8 * 1024 * 1024,
  previewMaxBytes: 2 * 1024 * 1024,
};

/** A job found finished in history is announced only if it ended this recently (server clock). */
const ANNOUNCE_WINDOW_MS = 10 * 60_000;

/**
 * Events the server sends only to the socket of the prompt's client_id (protocol §3): one arriving on our
 * own socket proves an unknown job was queued with our clientId.
 */
const ROUTED_ONLY: ReadonlySet<string> = new Set([
  'execution_start',
  'execution_cached',
  'executing',
  'executed',
  'execution_success',
  'execution_error',
]);

/**
 * A pending job that vanished from the queue without reaching history was deleted (`cancelled`) or
 * forgotten by a server restart (`lost`). A running job that vanished proves a restart (running prompts
 * always reach history), and so does, in practice, a gap in the connection: then every vanished job of
 * that pass is `lost`. Our own deletes never get here (they are applied as `local:cancelled` first).
 */
export function explainVanished(events: TrackerEvent[], afterGap: boolean): TrackerEvent[] {
  const restarted = afterGap || events.some((e) => e.type === 'local:snapshot' && e.status === 'lost');
  if (!restarted) return events;
  return events.map((e) =>
    // only the bare "not queued, not in history" verdict; a server-reported cancel carries more fields
    e.type === 'local:snapshot' && e.status === 'cancelled' && Object.keys(e).length === 3
      ? { ...e, status: 'lost' }
      : e,
  );
}

function withTimeout<T>(p: Promise<T>, ms: number, clock: Clock): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clock.clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clock.clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** What the tab bridge may feed in: exactly what the tap relays (per-prompt events only). */
const TAB_TYPES: ReadonlySet<string> = new Set([PREVIEW_FRAME, ...TAPPED_TYPES]);

export interface ServerActivity {
  running: number;
  pending: number;
  /** Progress of the running job when exactly one runs. */
  runningProgress?: number;
}

export class ServerConnection {
  readonly http: ComfyHttp;
  readonly socket: ComfySocket;
  readonly writer: JobWriter;
  private readonly decoder = new FrameDecoder();
  private readonly timing: ConnectionTiming;
  private state: TrackerState = initialTrackerState;
  private pollTimer: unknown;
  private pollDelay: number;
  private reconciling: Promise<void> | null = null;
  private reconcileAgain = false;
  private lastError: ComfyError | null = null;
  private stopped = false;
  private connState: ConnectionState = 'offline';
  /** How many recent history entries the next reconciliation reads for jobs nobody saw (0: none). */
  private historyLookup = 0;
  private lastQueueLength: number | null = null;
  /** Set by a reconnect, cleared by the reconciliation that follows it. */
  private sinceReconnect = false;
  /** Frames held (in order) while a newly seen own prompt is being adopted. */
  private held: [ComfyEvent, boolean][] | null = null;

  constructor(
    readonly server: ServerRecord,
    private readonly deps: ConnectionDeps,
  ) {
    this.timing = { ...DEFAULT_TIMING, ...deps.timing };
    this.pollDelay = this.timing.pollMinMs;
    const token = server.token || undefined;
    this.http = createComfyHttp({
      baseUrl: server.url,
      token,
      tokenMode: server.tokenMode,
      fetch: deps.fetch,
      clock: deps.clock,
    });
    this.socket = new ComfySocket({
      baseUrl: server.url,
      clientId: server.clientId,
      // header mode: the DNR rule adds Authorization to the handshake instead
      token: server.tokenMode === 'header' ? undefined : token,
      WebSocket: deps.WebSocket,
      clock: deps.clock,
      ...(deps.random ? { random: deps.random } : {}),
      isBusy: () => this.hasLiveRunningJob(),
      probe: () =>
        this.http.promptStatus().then(
          () => true,
          () => false,
        ),
      diagnose: () => this.diagnose(),
    });
    this.writer = new JobWriter(
      deps.db,
      server.id,
      deps.clock,
      (f) => this.onFlushed(f),
      this.timing.flushMs,
      (e) => deps.log?.('write failed', e),
    );
    this.socket.on('message', (data) => this.onFrame(data));
    this.socket.on('state', (s) => void this.onState(s));
    this.socket.on('open', ({ reconnect }) => {
      this.lastError = null;
      if (reconnect) this.sinceReconnect = true;
      this.historyLookup = 20;
      void this.reconcile();
      void this.recordServerInfo();
    });
  }

  /** Resumes the jobs the database holds as active, then connects. */
  async start(): Promise<void> {
    const active = await this.deps.db.jobs.where('[serverId+active]').equals([this.server.id, 1]).toArray();
    if (active.length) {
      const jobs = { ...this.state.jobs };
      for (const rec of active) {
        jobs[rec.promptId] = toJobState(rec);
        this.writer.remember(rec);
      }
      this.state = { ...this.state, jobs };
    }
    if (this.stopped) return;
    await this.onState('connecting');
    this.socket.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.held = null;
    this.deps.clock.clearTimeout(this.pollTimer);
    this.socket.close();
    await this.writer.close();
  }

  get tracker(): TrackerState {
    return this.state;
  }

  get connectionState(): ConnectionState {
    return this.connState;
  }

  activity(): ServerActivity {
    let running = 0;
    let pending = 0;
    let runningProgress: number | undefined;
    for (const j of Object.values(this.state.jobs)) {
      if (j.status === 'running') {
        running++;
        runningProgress = j.progress;
      } else if (j.status === 'pending') pending++;
    }
    return { running, pending, ...(running === 1 ? { runningProgress } : {}) };
  }

  // ---- frames and tracker -------------------------------------------------------------------------

  private onFrame(data: unknown): void {
    const ev = this.decoder.decode(data as string | ArrayBuffer);
    if (ev) this.onEvent(ev);
  }

  /**
   * Frames the ComfyUI tab received for its own prompts (relayed by the tab bridge). Only per-prompt
   * events are taken; `status` and id-less frames describe the tab's socket, not ours.
   */
  ingestTab(ev: ComfyEvent): boolean {
    if (this.stopped || !TAB_TYPES.has(ev.type) || !('promptId' in ev) || !ev.promptId) return false;
    this.onEvent(ev, true);
    return true;
  }

  private onEvent(ev: ComfyEvent, fromTab = false): void {
    if (this.held) {
      this.held.push([ev, fromTab]);
      return;
    }
    // A frame about a prompt we do not track yet: its graph (node count and class types, which progress
    // and the UI need) is on the server's queue. Fetch it before applying this and later frames, so the
    // job never shows progress computed over a partial graph. Frames routed only to our clientId
    // (protocol §1.2) mean the prompt was queued with our id, by us or by a script using it.
    const pid = 'promptId' in ev && typeof ev.promptId === 'string' && ev.promptId ? ev.promptId : undefined;
    if (pid && !this.state.jobs[pid]) {
      this.held = [[ev, fromTab]];
      void this.adopt(pid, ROUTED_ONLY.has(ev.type) && !fromTab);
      return;
    }
    if (ev.type === 'preview') this.onPreview(ev);
    if (!fromTab && (ev.type === 'progress' || ev.type === 'progress_state' || ev.type === 'executing'))
      this.socket.noteProgress();
    this.apply(ev);
    if (ev.type === 'status') this.onQueueLength(ev.queueRemaining);
  }

  /** Starts tracking a prompt first seen on the socket, with its graph when the queue still has it. */
  private async adopt(promptId: string, routedToUs: boolean): Promise<void> {
    let item: QueueItem | undefined;
    try {
      const q = await withTimeout(this.http.queue(), 2000, this.deps.clock);
      item = [...q.running, ...q.pending].find((i) => i.promptId === promptId);
    } catch {
      // adopt without the graph; reconciliation fills in what it can
    }
    const itemClient = item?.extraData?.client_id;
    const clientId = routedToUs
      ? this.server.clientId
      : typeof itemClient === 'string'
        ? itemClient
        : undefined;
    this.apply({
      type: 'local:queued',
      promptId,
      own: clientId === this.server.clientId,
      ...(clientId ? { clientId } : {}),
      ...(item ? { number: item.number } : {}),
      ...(item?.prompt ? { prompt: item.prompt } : {}),
    });
    const held = this.held ?? [];
    this.held = null;
    for (let i = 0; i < held.length; i++) {
      if (this.held) {
        // a frame of yet another new prompt started a new hold: keep the order
        (this.held as [ComfyEvent, boolean][]).push(...held.slice(i));
        return;
      }
      const [ev, fromTab] = held[i]!;
      this.onEvent(ev, fromTab);
    }
  }

  /**
   * A status broadcast is the only live sign of other clients' jobs: when the queue holds more than we
   * track, ask HTTP at once (a short job of another client may be over before a timed poll).
   */
  private onQueueLength(queueRemaining: number): void {
    let active = 0;
    for (const j of Object.values(this.state.jobs)) if (!isTerminal(j.status)) active++;
    const shrank = this.lastQueueLength !== null && queueRemaining < this.lastQueueLength;
    this.lastQueueLength = queueRemaining;
    if (this.connState !== 'connected') return;
    if (queueRemaining > active) void this.reconcile();
    else if (shrank && queueRemaining === active) {
      // something we never tracked may have run and ended between two broadcasts
      this.historyLookup = Math.max(this.historyLookup, 5);
      void this.reconcile();
    } else this.maybePoll();
  }

  private onPreview(ev: Extract<ComfyEvent, { type: 'preview' }>): void {
    // SaveImageWebsocket sends full-size images as "previews": too big to copy to every page per frame
    if (!this.deps.previewsEnabled() || ev.bytes.byteLength > this.timing.previewMaxBytes) return;
    const promptId = ev.promptId ?? this.state.runningPromptId;
    if (!promptId) return;
    const job = this.state.jobs[promptId];
    const jobKey = jobKeyOf(this.server.id, promptId);
    const bytes = ev.bytes.slice();
    this.deps.broadcast({
      kind: 'preview',
      jobKey,
      mime: ev.mime,
      bytes: bytes.buffer,
      seq: (job?.previewCount ?? 0) + 1,
      sentAt: this.deps.clock.now(),
    });
    this.writer.setPreview(jobKey, ev.mime, bytes);
  }

  /** Applies events to the tracker; broadcasts and schedules a write for each job that changed. */
  private apply(...events: TrackerEvent[]): void {
    const prev = this.state;
    let next = prev;
    const now = this.deps.clock.now();
    for (const ev of events) next = reduceTracker(next, ev, now);
    if (next === prev) return;
    this.state = next;
    for (const job of changedJobs(prev, next)) this.onJobChanged(job, prev.jobs[job.promptId]);
    this.deps.onActivity();
  }

  private onJobChanged(job: JobState, before: JobState | undefined): void {
    this.deps.broadcast({ kind: 'job', job: this.writer.liveRecord(job) });
    this.writer.update(job);
    if (job.awaitingReconciliation) void this.reconcile();
    if (isTerminal(job.status) && (!before || !isTerminal(before.status) || before.status === 'lost')) {
      void this.onTerminal(job);
    }
    if (!job.own || !isTerminal(job.status)) this.maybePoll();
  }

  private async onTerminal(job: JobState): Promise<void> {
    const jobKey = jobKeyOf(this.server.id, job.promptId);
    try {
      await this.writer.flush();
      if (job.status === 'success') await this.storeThumbnail(jobKey, job);
    } catch (e) {
      this.deps.log?.('finishing job failed', e);
    }
    // the worker announces each job once (JobRecord.notifiedAt), so a lost job that later turns out to
    // have succeeded is not announced twice
    this.deps.onFinished(jobKey);
    this.deps.clock.setTimeout(() => {
      const cur = this.state.jobs[job.promptId];
      if (!cur || !isTerminal(cur.status)) return;
      this.state = forgetJobs(this.state, [job.promptId]);
      this.writer.forget(jobKey);
    }, this.timing.forgetAfterMs);
  }

  /** The first image output, re-encoded small by the server (`preview=webp;90`), stored as a Blob. */
  private async storeThumbnail(jobKey: string, job: JobState): Promise<void> {
    const files: OutputFile[] = Object.values(job.outputs).flatMap((o) => outputFiles(o));
    const file = files.find((f) => f.type === 'output') ?? files[0];
    if (!file) return;
    const url = this.http.viewUrl(file, { preview: 'webp;90' });
    const headers: Record<string, string> =
      this.server.token && this.server.tokenMode !== 'query'
        ? { Authorization: `Bearer ${this.server.token}` }
        : {};
    const res = await this.deps.fetch(url, { headers });
    if (!res.ok) return;
    const type = res.headers.get('content-type') ?? 'image/webp';
    if (!type.startsWith('image/')) return;
    const data = await res.blob();
    if (data.size === 0 || data.size > this.timing.thumbMaxBytes) return;
    const key = thumbBlobKey(jobKey);
    const rec: BlobRecord = {
      key,
      jobKey,
      kind: 'thumb',
      mime: type,
      data,
      size: data.size,
      createdAt: this.deps.clock.now(),
    };
    const { db } = this.deps;
    await db.transaction('rw', db.blobs, db.jobs, async () => {
      await db.blobs.put(rec);
      await db.jobs.update(jobKey, { thumbKey: key });
    });
    this.writer.keep(jobKey, { thumbKey: key });
    const stored = await db.jobs.get(jobKey);
    if (stored) this.deps.broadcast({ kind: 'job', job: stored });
  }

  private onFlushed(f: Flushed): void {
    this.deps.onFlushed?.(f);
  }

  private hasLiveRunningJob(): boolean {
    for (const j of Object.values(this.state.jobs)) {
      if (j.status === 'running' && (j.own || j.clientId === this.server.clientId)) return true;
    }
    return false;
  }

  // ---- connection state ---------------------------------------------------------------------------

  private async diagnose(): Promise<HandshakeVerdict> {
    const e = await this.http.diagnose().catch(() => null);
    this.lastError = e;
    if (!e) return null;
    switch (e.kind) {
      case 'origin-rejected':
        return 'rejected';
      case 'auth-required':
        return 'auth-required';
      case 'unreachable':
        return 'offline';
      default:
        return null;
    }
  }

  private async onState(state: ConnectionState): Promise<void> {
    if (this.stopped && state !== 'offline') return;
    this.connState = state;
    const since = this.deps.clock.now();
    const detail = state === 'connected' ? undefined : this.deps.describe(state, this.lastError);
    this.deps.broadcast({
      kind: 'connection',
      serverId: this.server.id,
      state,
      since,
      ...(detail ? { detail } : {}),
    });
    if (this.stopped) return;
    try {
      await this.deps.db.transaction('rw', this.deps.db.connections, async () => {
        const prev = await this.deps.db.connections.get(this.server.id);
        const rec: ConnectionRecord = { ...prev, serverId: this.server.id, state, since };
        if (detail) rec.detail = detail;
        else delete rec.detail;
        await this.deps.db.connections.put(rec);
      });
    } catch (e) {
      this.deps.log?.('connection state write failed', e);
    }
  }

  private async recordServerInfo(): Promise<void> {
    try {
      const [stats, jobsApi] = await Promise.all([
        this.http.systemStats().catch(() => undefined),
        this.http.supportsJobs().catch(() => undefined),
      ]);
      const version = (stats?.system as { comfyui_version?: string } | undefined)?.comfyui_version;
      await this.deps.db.connections.update(this.server.id, {
        ...(version ? { serverVersion: version } : {}),
        ...(jobsApi !== undefined ? { jobsApi } : {}),
      });
    } catch {
      // version and jobs-API flag are only shown to the user; failing to store them changes nothing else
    }
  }

  // ---- reconciliation and polling -----------------------------------------------------------------

  /** Brings every tracked job and the server's queue up to date from HTTP. Never runs twice at once. */
  reconcile(): Promise<void> {
    if (this.reconciling) {
      this.reconcileAgain = true;
      return this.reconciling;
    }
    this.reconciling = this.reconcileOnce()
      .catch((e) => this.deps.log?.('reconcile failed', e))
      .finally(() => {
        this.reconciling = null;
        if (this.reconcileAgain && !this.stopped) {
          this.reconcileAgain = false;
          void this.reconcile();
        }
      });
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    if (this.stopped) return;
    const before = this.state;
    const afterGap = this.sinceReconnect;
    const events = explainVanished(
      await reconcile(this.http, this.state, { discover: true, clientId: this.server.clientId }),
      afterGap,
    );
    if (this.stopped) return;
    if (afterGap) this.sinceReconnect = false;
    this.apply(...events);
    if (this.historyLookup > 0) {
      const n = this.historyLookup;
      this.historyLookup = 0;
      await this.discoverFinished(n);
    }
    // a poll that changed something resets the backoff; an idle one slows it down
    this.pollDelay =
      this.state !== before
        ? this.timing.pollMinMs
        : Math.min(this.timing.pollMaxMs, Math.round(this.pollDelay * 1.5));
    this.maybePoll();
  }

  /**
   * Jobs that ran and ended while nobody watched (engine stopped, browser closed, a job shorter than
   * the gap between two broadcasts): the last `n` history entries this installation has never stored.
   * Only those that ended in the last few minutes are announced; older ones are history, not news.
   */
  private async discoverFinished(n: number): Promise<void> {
    const keep = this.deps.retention?.();
    const entries = await this.http.history({ maxItems: Math.min(n, keep?.maxJobs ?? n) });
    const oldest = keep ? this.deps.clock.now() - keep.maxDays * 86_400_000 : 0;
    const ids = Object.keys(entries).filter((id) => !this.state.jobs[id]);
    if (ids.length === 0 || this.stopped) return;
    const { db } = this.deps;
    const keys = ids.map((id) => jobKeyOf(this.server.id, id));
    const stored = await db.jobs.bulkGet(keys);
    const now = this.deps.clock.now();
    const events: TrackerEvent[] = [];
    ids.forEach((id, i) => {
      if (stored[i]) return;
      const entry = entries[id]!;
      const snap = snapshotFromHistory(id, entry);
      const extra = entry.prompt?.[3] as { client_id?: unknown; create_time?: unknown } | undefined;
      const clientId = typeof extra?.client_id === 'string' ? extra.client_id : undefined;
      const created = typeof extra?.create_time === 'number' ? extra.create_time : (snap.startedAt ?? now);
      if (created < oldest) return;
      const recent = snap.endedAt !== undefined && now - snap.endedAt < ANNOUNCE_WINDOW_MS;
      this.writer.keep(keys[i]!, {
        createdAt: Math.min(created, now),
        ...(recent ? {} : { notifiedAt: now }),
      });
      events.push({
        type: 'local:queued',
        promptId: id,
        own: clientId === this.server.clientId,
        ...(clientId ? { clientId } : {}),
      });
      events.push(snap);
    });
    this.apply(...events);
  }

  /** Whether jobs exist on the server that the socket does not show us live. */
  private needsPolling(): boolean {
    let active = 0;
    for (const j of Object.values(this.state.jobs)) {
      if (isTerminal(j.status)) continue;
      active++;
      if (j.awaitingReconciliation || (!j.own && j.clientId !== this.server.clientId)) return true;
    }
    return (this.state.queueRemaining ?? 0) > active;
  }

  private maybePoll(): void {
    if (this.stopped || this.pollTimer !== undefined || this.connState !== 'connected') return;
    if (!this.needsPolling()) {
      this.pollDelay = this.timing.pollMinMs;
      return;
    }
    this.pollTimer = this.deps.clock.setTimeout(() => {
      this.pollTimer = undefined;
      void this.reconcile();
    }, this.pollDelay);
  }

  // ---- actions ------------------------------------------------------------------------------------

  /** Queues a prompt with our clientId, so this connection receives its full event stream. */
  async submit(prompt: ApiPrompt, previewMethod?: 'auto' | 'latent2rgb' | 'taesd'): Promise<string> {
    const r = await this.http.submit(prompt, {
      clientId: this.server.clientId,
      promptId: crypto.randomUUID(),
      ...(previewMethod ? { previewMethod } : {}),
    });
    this.apply({
      type: 'local:queued',
      promptId: r.promptId,
      own: true,
      clientId: this.server.clientId,
      number: r.number,
      prompt,
    });
    return r.promptId;
  }

  async cancel(promptId: string): Promise<CancelOutcome> {
    const known = this.state.jobs[promptId];
    if (known && isTerminal(known.status) && known.status !== 'lost') {
      return { ok: false, reason: 'finished', message: known.status };
    }
    let result: CancelResult;
    try {
      result = await cancelExactly(this.http, promptId);
      if (result.cancelled && result.method === 'delete') this.apply({ type: 'local:cancelled', promptId });
      await this.reconcile();
    } catch (e) {
      return { ok: false, reason: 'error', message: errorText(e) };
    }
    if (result.cancelled) return { ok: true, method: result.method };
    return result.reason === 'refused'
      ? { ok: false, reason: 'not-found', message: 'the server did not cancel it (finished or unknown)' }
      : { ok: false, reason: 'not-running', message: 'the job is neither running nor queued on the server' };
  }

  /** The record the engine hands to the service worker after a restart of the worker. */
  liveJobs(): JobRecord[] {
    return Object.values(this.state.jobs).map((j) => this.writer.liveRecord(j));
  }
}

/**
 * ComfyClient: the one orchestrator. Composes the socket, the frame decoder, the job tracker, HTTP
 * reconciliation and polling behind a few events; the extension's engine is a thin adapter over it.
 *
 * ```ts
 * const client = new ComfyClient({ url: 'http://127.0.0.1:8188', clientId: stableIdForThisInstall });
 * client.on('progress', (job) => render(job.progress));
 * client.on('complete', (job) => show(job.outputs));
 * const promptId = await client.submit(workflow);
 * ```
 *
 * Works with the browser's WebSocket (default) or any WHATWG-compatible constructor passed in, e.g.
 * `import WebSocket from 'ws'` in Node 20.
 *
 * Invariants:
 * - Reconcile after every open (no replay on the wire, comfyui-protocol.md §2.3); poll only while jobs are
 *   active that the socket cannot show live (other clients' jobs, an outcome that never arrived, a queue
 *   longer than what we track), `poll.minMs` backing off ×1.5 to `poll.maxMs` while nothing changes.
 * - A frame about a prompt we do not track is held, with every frame after it, until the prompt's graph
 *   was fetched from `/queue`: a job never shows progress computed over a partial graph.
 * - `end` fires once per job: when it enters a terminal state, or leaves `lost` for a real outcome.
 */
import type { BackoffPolicy } from './backoff';
import { type CancelResult, cancelExactly } from './cancel';
import { FrameDecoder } from './decode';
import { type ComfyError, isComfyError } from './errors';
import { ComfyHttp, type PreviewMethod, type QueueItem, type SubmitOptions, type TokenMode } from './http';
import {
  activeJobs,
  explainVanished,
  type MissedJob,
  type MissedOptions,
  missedInHistory,
  reconcile,
} from './reconcile';
import { ComfySocket, type ComfySocketOptions, type HandshakeVerdict } from './socket';
import { changedJobs, forgetJobs, initialTrackerState, reduceTracker, type TrackerState } from './tracker';
import {
  type ApiPrompt,
  type Clock,
  type ComfyEvent,
  type ConnectionState,
  type FetchLike,
  isTerminal,
  type JobState,
  type Random,
  systemClock,
  type TrackerEvent,
  type WebSocketCtor,
} from './types';

export interface ComfyClientEvents {
  /** Any change of any job. */
  job: JobState;
  /** A change of a job that is still pending or running. */
  progress: JobState;
  /** A job reached `success`. */
  complete: JobState;
  /** A job reached `error` or `lost`, or the client met a failure worth showing (a typed `ComfyError`). */
  error: JobState | ComfyError;
  /** A job reached a terminal state (success, error, interrupted, cancelled, lost); once per outcome. */
  end: JobState;
  status: ConnectionState;
  /** A preview frame, ours or fed in with `ingestExternal`; `job` is the job it belongs to (if any). */
  preview: { event: Extract<ComfyEvent, { type: 'preview' }>; job: JobState | undefined };
  /** Every decoded frame of our own socket, for consumers that want the raw stream. */
  event: ComfyEvent;
  /** The job table changed (for stores: `getJobs()` has a new reference). */
  change: undefined;
  /**
   * A job that ran and ended while nobody watched, found in history (discovery's lookback), just
   * before its `job` events. `news`: it ended within `newsWindowMs` (worth announcing).
   */
  missed: MissedJob;
}

type Callback<K extends keyof ComfyClientEvents> = (value: ComfyClientEvents[K]) => void;

/** Watching the jobs of other clients (the ComfyUI tab, scripts, other users of the server). */
export interface DiscoverOptions extends Pick<MissedOptions, 'limits' | 'known' | 'newsWindowMs'> {
  /**
   * After each (re)connect, read this many recent history entries for jobs that ran and ended while
   * nobody watched (`missed` events). Default 20; 0 turns the lookback off.
   */
  lookback?: number;
}

export interface ComfyClientOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8188`. */
  url: string;
  token?: string;
  /** `'header'`: the socket carries no `?token=` (a WebSocket cannot send headers; a proxy adds it). */
  tokenMode?: TokenMode;
  /**
   * Stable per server and installation. Never reuse another client's id (it steals that client's socket
   * registration). Default: a fresh random id per client instance.
   */
  clientId?: string;
  WebSocket?: WebSocketCtor;
  fetch?: FetchLike;
  clock?: Clock;
  random?: Random;
  /** `extra_data.preview_method` sent with `submit`; default `'auto'` (servers default to no previews). */
  previewMethod?: PreviewMethod;
  /**
   * Also track jobs queued by other clients: found by reconciliation (`/api/jobs` or `/queue`), on a
   * `status` broadcast that announces more jobs than we track, and in recent history after each
   * connect; followed by polling. Default false: only our own jobs (and broadcast-only ones).
   */
  discover?: boolean | DiscoverOptions;
  /** Polling while jobs are active that the socket cannot show live. Default 2000 → 10000 ms. */
  poll?: { minMs?: number; maxMs?: number };
  /** Terminal jobs kept in memory; older ones are forgotten. Default 200. */
  keepFinished?: number;
  /** Overrides for the socket (backoff, keepalive, silence...). */
  socket?: Partial<
    Omit<ComfySocketOptions, 'baseUrl' | 'clientId' | 'token' | 'WebSocket' | 'clock' | 'random'>
  > & {
    backoff?: BackoffPolicy;
  };
  /** Connect at construction. Default true. */
  autoConnect?: boolean;
  onProgress?: Callback<'progress'>;
  onComplete?: Callback<'complete'>;
  onError?: Callback<'error'>;
  onStatus?: Callback<'status'>;
  onPreview?: Callback<'preview'>;
  onJob?: Callback<'job'>;
}

export interface ClientSubmitOptions extends Omit<SubmitOptions, 'clientId' | 'previewMethod'> {
  /** Overrides the client's `previewMethod`; null sends none (the server's own setting applies). */
  previewMethod?: PreviewMethod | null;
}

const VERDICTS: Partial<Record<ComfyError['kind'], HandshakeVerdict>> = {
  'origin-rejected': 'rejected',
  'auth-required': 'auth-required',
  unreachable: 'offline',
};

/**
 * Events the server sends only to the socket of the prompt's client_id (comfyui-protocol.md §3): one arriving
 * on our own socket proves an unknown prompt was queued with our clientId (by us, or by a script using it).
 */
const ROUTED_ONLY: ReadonlySet<string> = new Set([
  'execution_start',
  'execution_cached',
  'executing',
  'executed',
  'execution_success',
  'execution_error',
]);

/** Frames that show a job of ours is alive (so long silent nodes do not read as a zombie socket). */
const LIVE_PROGRESS: ReadonlySet<string> = new Set(['progress', 'progress_state', 'executing']);

const ADOPT_QUEUE_TIMEOUT_MS = 2000;

function promptIdOf(ev: ComfyEvent): string | undefined {
  return 'promptId' in ev && typeof ev.promptId === 'string' && ev.promptId ? ev.promptId : undefined;
}

export class ComfyClient {
  readonly http: ComfyHttp;
  readonly socket: ComfySocket;
  readonly clientId: string;
  /** The last connection-doctor finding (why handshakes fail), or null. */
  lastDiagnosis: ComfyError | null = null;

  private state: TrackerState = initialTrackerState;
  private readonly decoder = new FrameDecoder();
  private readonly clock: Clock;
  private readonly previewMethod: PreviewMethod;
  private readonly discover: DiscoverOptions | null;
  private readonly poll: { minMs: number; maxMs: number };
  private readonly keepFinished: number;
  private readonly listeners = new Map<keyof ComfyClientEvents, Set<(v: never) => void>>();
  private reconciling: Promise<void> | undefined;
  private reconcileAgain = false;
  private lastReconcileError: ComfyError['kind'] | undefined;
  private pollTimer: unknown;
  private pollDelay: number;
  /** Set by a reconnect, cleared by the reconciliation that follows it (jobs that vanished meanwhile are lost). */
  private sinceReconnect = false;
  /** How many recent history entries the next reconciliation reads for jobs nobody saw (0: none). */
  private lookback = 0;
  private lastQueueLength: number | null = null;
  /** Frames held (in order, with their origin) while a newly seen prompt is being adopted. */
  private held: [ComfyEvent, boolean][] | null = null;
  private closed = false;

  constructor(options: ComfyClientOptions) {
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!WebSocketImpl)
      throw new Error('No WebSocket implementation: pass `WebSocket` (e.g. from the ws package).');
    this.clock = options.clock ?? systemClock;
    this.clientId = options.clientId ?? `comfypulse-${randomUuid().replace(/-/g, '')}`;
    this.previewMethod = options.previewMethod ?? 'auto';
    this.discover = options.discover ? (options.discover === true ? {} : options.discover) : null;
    this.poll = { minMs: options.poll?.minMs ?? 2000, maxMs: options.poll?.maxMs ?? 10_000 };
    this.pollDelay = this.poll.minMs;
    this.keepFinished = options.keepFinished ?? 200;
    this.http = new ComfyHttp({
      baseUrl: options.url,
      token: options.token,
      tokenMode: options.tokenMode,
      fetch: options.fetch,
      clock: this.clock,
      onAnswer: (status) => this.serverAnswered(status),
    });
    this.socket = new ComfySocket({
      ...options.socket,
      baseUrl: options.url,
      clientId: this.clientId,
      token: options.tokenMode === 'header' ? undefined : options.token,
      WebSocket: WebSocketImpl,
      clock: this.clock,
      random: options.random,
      isBusy: () => this.busy(),
      probe: () =>
        this.http.promptStatus().then(
          () => true,
          () => false,
        ),
      diagnose: () => this.diagnose(),
    });
    if (options.onProgress) this.on('progress', options.onProgress);
    if (options.onComplete) this.on('complete', options.onComplete);
    if (options.onError) this.on('error', options.onError);
    if (options.onStatus) this.on('status', options.onStatus);
    if (options.onPreview) this.on('preview', options.onPreview);
    if (options.onJob) this.on('job', options.onJob);

    this.socket.on('state', (s) => this.emit('status', s));
    this.socket.on('message', (data) => this.onFrame(data));
    this.socket.on('open', ({ reconnect }) => {
      this.lastDiagnosis = null;
      if (reconnect) this.sinceReconnect = true;
      this.lookback = this.discover?.lookback ?? (this.discover ? 20 : 0);
      void this.reconcileNow();
    });
    if (options.autoConnect !== false) this.connect();
  }

  connect(): void {
    if (this.closed) return;
    this.socket.connect();
  }

  get connectionState(): ConnectionState {
    return this.socket.state;
  }

  /** The job table; a new object whenever anything changed (usable as an external-store snapshot). */
  getJobs(): Readonly<Record<string, JobState>> {
    return this.state.jobs;
  }

  getJob(promptId: string): JobState | undefined {
    return this.state.jobs[promptId];
  }

  on<K extends keyof ComfyClientEvents>(event: K, cb: Callback<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(cb as (v: never) => void);
    return () => set.delete(cb as (v: never) => void);
  }

  /**
   * Resumes jobs the caller stored (e.g. active ones from a previous session) before `connect`: the
   * first reconciliation tells how they ended. No job events are emitted for them.
   */
  restore(jobs: readonly JobState[]): void {
    if (jobs.length === 0) return;
    const table = { ...this.state.jobs };
    for (const j of jobs) table[j.promptId] = j;
    this.state = { ...this.state, jobs: table };
    this.emit('change', undefined);
  }

  /** Drops finished jobs from memory (once stored, say); active ones are kept. */
  forget(promptIds: readonly string[]): void {
    const drop = promptIds.filter((id) => {
      const j = this.state.jobs[id];
      return j !== undefined && isTerminal(j.status);
    });
    if (drop.length === 0) return;
    this.state = forgetJobs(this.state, drop);
    this.emit('change', undefined);
  }

  /**
   * Frames another client's socket received for its own prompts, e.g. the ComfyUI tab's relayed by a
   * bridge (the server routes per-prompt events only to the submitting socket). Only events that name
   * their prompt are taken; `status` and id-less frames describe that other socket, not ours. They
   * never count as proof that our own socket is alive. Returns whether the event was taken.
   */
  ingestExternal(event: ComfyEvent): boolean {
    if (this.closed || !promptIdOf(event)) return false;
    this.onEvent(event, true);
    return true;
  }

  /**
   * Queues a prompt under this client's clientId with a fresh UUID prompt_id; returns the id the server
   * answered with (older servers ignore ours). Throws `BadWorkflow` and the other typed errors.
   */
  async submit(prompt: ApiPrompt, options: ClientSubmitOptions = {}): Promise<string> {
    const { previewMethod = this.previewMethod, ...rest } = options;
    const res = await this.http.submit(prompt, {
      ...rest,
      clientId: this.clientId,
      promptId: options.promptId ?? randomUuid(),
      ...(previewMethod !== null && { previewMethod }),
    });
    this.apply({
      type: 'local:queued',
      promptId: res.promptId,
      own: true,
      clientId: this.clientId,
      number: res.number,
      prompt,
    });
    return res.promptId;
  }

  /**
   * Cancels exactly this job, never another: the jobs cancel endpoint where it exists (atomic);
   * otherwise `/queue` first, then interrupt-with-prompt_id only if it is the running one, or
   * `POST /queue {delete}` if it is pending. Resolves whether something was cancelled.
   */
  async cancel(promptId: string): Promise<boolean> {
    return (await this.cancelJob(promptId)).cancelled;
  }

  /** `cancel` with the details: how it was cancelled, or why nothing was. Request errors propagate. */
  async cancelJob(promptId: string): Promise<CancelResult> {
    const result = await cancelExactly(this.http, promptId);
    // A dequeued job is settled; for the others the server's view decides what happened.
    if (result.cancelled && result.method === 'delete') this.apply({ type: 'local:cancelled', promptId });
    await this.reconcileNow();
    return result;
  }

  /** Asks HTTP for the truth about active jobs now (also runs after every (re)connect). Never twice at once. */
  reconcileNow(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.reconciling) {
      this.reconcileAgain = true;
      return this.reconciling;
    }
    this.reconciling = (async () => {
      do {
        this.reconcileAgain = false;
        await this.reconcileOnce();
      } while (this.reconcileAgain && !this.closed);
    })().finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  /** Dial now, skipping the backoff wait (e.g. on the browser's `online` event or a user action). */
  retryNow(): void {
    this.socket.retryNow();
  }

  close(): void {
    this.closed = true;
    this.held = null;
    this.clock.clearTimeout(this.pollTimer);
    this.socket.close();
  }

  // ---- frames --------------------------------------------------------------------------------------

  private onFrame(data: unknown): void {
    const event = this.decoder.decode(data as string | ArrayBuffer);
    if (!event) return;
    this.emit('event', event);
    this.onEvent(event, false);
  }

  private onEvent(ev: ComfyEvent, external: boolean): void {
    if (this.held) {
      this.held.push([ev, external]);
      return;
    }
    const pid = promptIdOf(ev);
    if (pid && !this.state.jobs[pid]) {
      this.held = [[ev, external]];
      void this.adopt(pid, ROUTED_ONLY.has(ev.type) && !external);
      return;
    }
    if (!external && LIVE_PROGRESS.has(ev.type)) this.socket.noteProgress();
    this.apply(ev);
    if (ev.type === 'preview') {
      const id = pid ?? this.state.runningPromptId;
      this.emit('preview', { event: ev, job: id ? this.state.jobs[id] : undefined });
    }
    if (ev.type === 'status') this.onQueueLength(ev.queueRemaining);
  }

  /** Starts tracking a prompt first seen in a frame, with its graph when the queue still has it. */
  private async adopt(promptId: string, routedToUs: boolean): Promise<void> {
    let item: QueueItem | undefined;
    try {
      const q = await withTimeout(this.http.queue(), ADOPT_QUEUE_TIMEOUT_MS, this.clock);
      item = [...q.running, ...q.pending].find((i) => i.promptId === promptId);
    } catch {
      // adopt without the graph; reconciliation fills in what it can
    }
    if (this.closed) return;
    const itemClient = item?.extraData?.client_id;
    const clientId = routedToUs ? this.clientId : typeof itemClient === 'string' ? itemClient : undefined;
    this.apply({
      type: 'local:queued',
      promptId,
      own: clientId === this.clientId,
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
      const [ev, external] = held[i]!;
      this.onEvent(ev, external);
    }
  }

  /**
   * A status broadcast is the only live sign of other clients' jobs: when the queue holds more than we
   * track, ask HTTP at once (a short job of another client may be over before a timed poll). An empty
   * queue while we track active jobs means their end may not have reached this socket.
   */
  private onQueueLength(queueRemaining: number): void {
    const active = activeJobs(this.state).length;
    const shrank = this.lastQueueLength !== null && queueRemaining < this.lastQueueLength;
    this.lastQueueLength = queueRemaining;
    if (this.socket.state !== 'connected') return;
    if ((queueRemaining === 0 && active > 0) || (this.discover && queueRemaining > active)) {
      void this.reconcileNow();
    } else if (this.discover && shrank && queueRemaining === active) {
      // something we never tracked may have run and ended between two broadcasts
      this.lookback = Math.max(this.lookback, 5);
      void this.reconcileNow();
    } else this.maybePoll();
  }

  /** Feeds the tracker and fans out events for each job that changed. */
  private apply(...events: TrackerEvent[]): void {
    const prev = this.state;
    const now = this.clock.now();
    let next = prev;
    for (const e of events) next = reduceTracker(next, e, now);
    if (next === prev) return;
    this.state = next;
    for (const job of changedJobs(prev, next)) {
      const before = prev.jobs[job.promptId];
      this.emit('job', job);
      if (job.awaitingReconciliation) void this.reconcileNow();
      if (!isTerminal(job.status)) {
        this.emit('progress', job);
        this.maybePoll();
        continue;
      }
      if (!job.own) this.maybePoll();
      // once per outcome: entering a terminal state, or a lost job found to have really ended
      if (before && isTerminal(before.status) && !(before.status === 'lost' && job.status !== 'lost'))
        continue;
      if (job.status === 'success') this.emit('complete', job);
      if (job.status === 'error' || job.status === 'lost') this.emit('error', job);
      this.emit('end', job);
    }
    this.forgetOldFinished();
    this.emit('change', undefined);
  }

  private forgetOldFinished(): void {
    const finished = Object.values(this.state.jobs).filter((j) => isTerminal(j.status));
    if (finished.length <= this.keepFinished) return;
    finished.sort((a, b) => (a.endedAt ?? a.updatedAt) - (b.endedAt ?? b.updatedAt));
    const drop = finished.slice(0, finished.length - this.keepFinished).map((j) => j.promptId);
    this.state = forgetJobs(this.state, drop);
  }

  /** Silence counts only while a job of our clientId runs: other clients' jobs never reach this socket. */
  private busy(): boolean {
    for (const j of Object.values(this.state.jobs)) {
      if (j.status === 'running' && (j.own || j.clientId === this.clientId)) return true;
    }
    return false;
  }

  // ---- reconciliation and polling ------------------------------------------------------------------

  private async reconcileOnce(): Promise<void> {
    const before = this.state;
    const afterGap = this.sinceReconnect;
    try {
      const events = await reconcile(this.http, this.state, {
        discover: this.discover !== null,
        clientId: this.clientId,
      });
      if (this.closed) return;
      if (afterGap) this.sinceReconnect = false;
      this.apply(...explainVanished(events, afterGap));
      if (this.lookback > 0) {
        const n = this.lookback;
        this.lookback = 0;
        await this.lookBack(n);
      }
      this.lastReconcileError = undefined;
    } catch (e) {
      // Unreachable is already visible as the connection state; other failures are worth showing,
      // once per kind rather than on every periodic pass.
      if (isComfyError(e) && e.kind !== 'unreachable' && e.kind !== this.lastReconcileError) {
        this.emit('error', e);
      }
      this.lastReconcileError = isComfyError(e) ? e.kind : undefined;
    }
    if (this.closed) return;
    // a pass that changed something resets the poll backoff; an idle or failed one slows it down
    this.pollDelay =
      this.state !== before ? this.poll.minMs : Math.min(this.poll.maxMs, Math.round(this.pollDelay * 1.5));
    this.maybePoll();
  }

  /** Jobs that ran and ended while nobody watched, from the last `n` history entries. */
  private async lookBack(n: number): Promise<void> {
    const d = this.discover;
    if (!d) return;
    const found = await missedInHistory(this.http, {
      ...d,
      count: n,
      clientId: this.clientId,
      now: () => this.clock.now(),
      tracked: (id) => this.state.jobs[id] !== undefined,
    });
    if (this.closed) return;
    for (const m of found.missed) this.emit('missed', m);
    this.apply(...found.events);
  }

  /** Whether jobs exist on the server that the socket does not show us live. */
  private needsPolling(): boolean {
    let active = 0;
    for (const j of Object.values(this.state.jobs)) {
      if (isTerminal(j.status)) continue;
      active++;
      if (j.awaitingReconciliation || (!j.own && j.clientId !== this.clientId)) return true;
    }
    return this.discover !== null && (this.state.queueRemaining ?? 0) > active;
  }

  private maybePoll(): void {
    if (this.closed || this.pollTimer !== undefined || this.socket.state !== 'connected') return;
    if (!this.needsPolling()) {
      this.pollDelay = this.poll.minMs;
      return;
    }
    this.pollTimer = this.clock.setTimeout(() => {
      this.pollTimer = undefined;
      if (this.needsPolling()) void this.reconcileNow();
    }, this.pollDelay);
  }

  // ---- connection ----------------------------------------------------------------------------------

  /**
   * An HTTP answer proves the server is back: dial now rather than at the end of a backoff wait. The
   * socket ignores this while connected, and after such a dial failed (HTTP up, WS refused). Not
   * evidence: 401/403 (the handshake would be refused the same way; the doctor explains it) and 502-504
   * (a reverse proxy speaking for a server that is down).
   */
  private serverAnswered(status: number): void {
    if (this.closed || status === 401 || status === 403 || (status >= 502 && status <= 504)) return;
    this.socket.serverAnswered();
  }

  private async diagnose(): Promise<HandshakeVerdict> {
    const found = await this.http.diagnose().catch((e: unknown) => (isComfyError(e) ? e : null));
    const news = found !== null && found.kind !== 'unreachable' && found.kind !== this.lastDiagnosis?.kind;
    this.lastDiagnosis = found;
    // Reported once per finding, not on every background retry while the server stays misconfigured.
    if (news) this.emit('error', found);
    return found ? (VERDICTS[found.kind] ?? null) : null;
  }

  private emit<K extends keyof ComfyClientEvents>(event: K, value: ComfyClientEvents[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const cb of set) {
      try {
        (cb as Callback<K>)(value);
      } catch {
        // One throwing consumer must not starve the others or break the client.
      }
    }
  }
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

/**
 * A canonical lowercase v4 UUID (2026 servers reject other prompt ids). `crypto.randomUUID` exists only
 * in secure contexts; a page served over plain http from a LAN address has `getRandomValues` only.
 */
export function randomUuid(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

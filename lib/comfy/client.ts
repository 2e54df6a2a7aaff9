/**
 * ComfyClient: the vanilla client. Composes the socket, the frame decoder, the job tracker and HTTP
 * reconciliation behind a few callbacks.
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
 */
import type { BackoffPolicy } from './backoff';
import { cancelExactly } from './cancel';
import { FrameDecoder } from './decode';
import { type ComfyError, isComfyError } from './errors';
import { ComfyHttp, type PreviewMethod, type SubmitOptions, type TokenMode } from './http';
import { activeJobs, reconcile } from './reconcile';
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
  /** A job reached any terminal state (success, error, interrupted, cancelled, lost). */
  end: JobState;
  status: ConnectionState;
  preview: { event: Extract<ComfyEvent, { type: 'preview' }>; job: JobState | undefined };
  /** Every decoded socket event, for consumers that want the raw stream. */
  event: ComfyEvent;
  /** The job table changed (for stores: `getJobs()` has a new reference). */
  change: undefined;
}

type Callback<K extends keyof ComfyClientEvents> = (value: ComfyClientEvents[K]) => void;

export interface ComfyClientOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8188`. */
  url: string;
  token?: string;
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
  /** Also track jobs queued by other clients (found by reconciliation). Default false. */
  discover?: boolean;
  /** While jobs are active without live events, reconcile this often. Default 5 s. */
  reconcileEveryMs?: number;
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

export interface ClientSubmitOptions extends Omit<SubmitOptions, 'clientId'> {}

const VERDICTS: Partial<Record<ComfyError['kind'], HandshakeVerdict>> = {
  'origin-rejected': 'rejected',
  'auth-required': 'auth-required',
  unreachable: 'offline',
};

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
  private readonly discover: boolean;
  private readonly reconcileEveryMs: number;
  private readonly keepFinished: number;
  private readonly listeners = new Map<keyof ComfyClientEvents, Set<(v: never) => void>>();
  private lastLiveEventAt = 0;
  private reconciling: Promise<void> | undefined;
  private reconcileAgain = false;
  private lastReconcileError: ComfyError['kind'] | undefined;
  private reconcileTimer: unknown;
  private closed = false;

  constructor(options: ComfyClientOptions) {
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!WebSocketImpl)
      throw new Error('No WebSocket implementation: pass `WebSocket` (e.g. from the ws package).');
    this.clock = options.clock ?? systemClock;
    this.clientId = options.clientId ?? `comfypulse-${randomUuid().replace(/-/g, '')}`;
    this.previewMethod = options.previewMethod ?? 'auto';
    this.discover = options.discover ?? false;
    this.reconcileEveryMs = options.reconcileEveryMs ?? 5000;
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
      token: options.token,
      WebSocket: WebSocketImpl,
      clock: this.clock,
      random: options.random,
      // Silence counts only while one of *our* jobs runs: jobs of other clients never reach this socket.
      isBusy: () => Object.values(this.state.jobs).some((j) => j.own && j.status === 'running'),
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
    // No replay on the wire (protocol §2.3): after every (re)connect, ask HTTP what we missed.
    this.socket.on('open', () => {
      this.lastDiagnosis = null;
      void this.reconcileNow();
    });
    if (options.autoConnect !== false) this.connect();
  }

  connect(): void {
    if (this.closed) return;
    this.socket.connect();
    this.scheduleReconcileTick();
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
   * Queues a prompt under this client's clientId with a fresh UUID prompt_id; returns the id the server
   * answered with (older servers ignore ours). Throws `BadWorkflow` and the other typed errors.
   */
  async submit(prompt: ApiPrompt, options: ClientSubmitOptions = {}): Promise<string> {
    const res = await this.http.submit(prompt, {
      ...options,
      clientId: this.clientId,
      promptId: options.promptId ?? randomUuid(),
      previewMethod: options.previewMethod ?? this.previewMethod,
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
    const result = await cancelExactly(this.http, promptId);
    // A running job that was interrupted reports its own end on the socket; the others end here.
    if (result.cancelled && result.method !== 'interrupt') this.apply({ type: 'local:cancelled', promptId });
    // A dequeued job is settled; for the others the server's view decides what happened.
    if (!(result.cancelled && result.method === 'delete')) void this.reconcileNow();
    return result.cancelled;
  }

  /** Asks HTTP for the truth about active jobs now (also runs after every (re)connect). */
  reconcileNow(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.reconciling) {
      this.reconcileAgain = true;
      return this.reconciling;
    }
    this.reconciling = (async () => {
      do {
        this.reconcileAgain = false;
        try {
          const events = await reconcile(this.http, this.state, {
            discover: this.discover,
            clientId: this.clientId,
          });
          if (this.closed) return;
          this.lastReconcileError = undefined;
          for (const e of events) this.apply(e);
        } catch (e) {
          // Unreachable is already visible as the connection state; other failures are worth showing,
          // once per kind rather than on every periodic pass.
          if (isComfyError(e) && e.kind !== 'unreachable' && e.kind !== this.lastReconcileError) {
            this.emit('error', e);
          }
          this.lastReconcileError = isComfyError(e) ? e.kind : undefined;
        }
      } while (this.reconcileAgain && !this.closed);
    })().finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  /** Dial now, skipping the backoff wait (e.g. on the browser's `online` event). */
  retryNow(): void {
    this.socket.retryNow();
  }

  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.reconcileTimer);
    this.socket.close();
  }

  private onFrame(data: unknown): void {
    const event = this.decoder.decode(data as string | ArrayBuffer);
    if (!event) return;
    this.emit('event', event);
    const changed = this.apply(event);
    if (changed.length > 0 && event.type !== 'status') {
      this.lastLiveEventAt = this.clock.now();
      if (changed.some((j) => j.own)) this.socket.noteProgress();
    }
    if (event.type === 'preview') {
      const job = event.promptId ? this.state.jobs[event.promptId] : this.runningJob();
      this.emit('preview', { event, job });
    }
    if (event.type === 'status') {
      const active = activeJobs(this.state).length;
      // An empty queue while we track live jobs: their end may not have reached this socket. More
      // queued than we know of: someone else queued, and `status` is all this socket will hear of it.
      if ((event.queueRemaining === 0 && active > 0) || (this.discover && event.queueRemaining > active)) {
        void this.reconcileNow();
      }
    }
  }

  private runningJob(): JobState | undefined {
    const id = this.state.runningPromptId;
    return id ? this.state.jobs[id] : undefined;
  }

  /** Feeds the tracker and fans out callbacks; returns the jobs that changed. */
  private apply(event: TrackerEvent): JobState[] {
    const prev = this.state;
    const next = reduceTracker(prev, event, this.clock.now());
    if (next === prev) return [];
    this.state = next;
    const changed = changedJobs(prev, next);
    for (const job of changed) {
      const before = prev.jobs[job.promptId];
      this.emit('job', job);
      if (!isTerminal(job.status)) {
        this.emit('progress', job);
        continue;
      }
      if (before && before.status === job.status) continue;
      if (job.status === 'success') this.emit('complete', job);
      if (job.status === 'error' || job.status === 'lost') this.emit('error', job);
      this.emit('end', job);
    }
    this.forgetOldFinished();
    this.emit('change', undefined);
    return changed;
  }

  private forgetOldFinished(): void {
    const finished = Object.values(this.state.jobs).filter((j) => isTerminal(j.status));
    if (finished.length <= this.keepFinished) return;
    finished.sort((a, b) => (a.endedAt ?? a.updatedAt) - (b.endedAt ?? b.updatedAt));
    const drop = finished.slice(0, finished.length - this.keepFinished).map((j) => j.promptId);
    this.state = forgetJobs(this.state, drop);
  }

  /** Reconciles while jobs are active and the socket is not telling us about them. */
  private scheduleReconcileTick(): void {
    this.clock.clearTimeout(this.reconcileTimer);
    this.reconcileTimer = this.clock.setTimeout(() => {
      if (this.closed) return;
      const active = activeJobs(this.state);
      const quiet = this.clock.now() - this.lastLiveEventAt >= this.reconcileEveryMs;
      const blind = active.some((j) => !j.own || j.awaitingReconciliation);
      if (active.length > 0 && (quiet || blind || this.socket.state !== 'connected'))
        void this.reconcileNow();
      this.scheduleReconcileTick();
    }, this.reconcileEveryMs);
  }

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

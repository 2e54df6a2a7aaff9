/**
 * ComfySocket: one logical connection to ComfyUI's `/ws` that survives restarts, drops and zombies.
 *
 * Invariants (design.md §1.3, §4; comfyui-protocol.md §2):
 * - `feature_flags` is the first message of every connection (the server resets flags per connection and
 *   ignores them after any other message); keepalives are JSON objects, sent only after it.
 * - Each connect bumps a generation; every handler of an older socket returns at once, so a late
 *   open/message/close/error from a replaced socket is a no-op. Each socket, reconnects included, owns
 *   its close handling through that guard.
 * - Never gives up (the default policy). The backoff resets the moment a connection proves the server
 *   real: its first `status` frame (ComfyUI sends one to every new socket). A handshake that is accepted
 *   and closed without one (a proxy in front of a dead server, a dying server) keeps the backoff climbing,
 *   so restarts in a burst each start from the quick end, and a broken server is not hammered.
 * - While it waits, it asks HTTP whether the server is back (when the policy says so and a `probe` is
 *   given) and dials the moment it answers. A dial made on such a signal that fails disarms the signals
 *   until HTTP has been unreachable again or a connection proved itself: HTTP up but WS refused (origin
 *   check, a proxy without upgrade support) then costs one handshake per scheduled retry, not one per probe.
 * - Silence is evidence of death only while a job runs: the liveness check asks HTTP and reconnects when
 *   the server answers but the socket is mute (the same-clientId zombie of comfyui-protocol.md §2.3).
 * - The clientId is the caller's; this class never invents or changes it.
 */
import { type BackoffPolicy, defaultBackoff, QUICK_PHASE_RETRIES } from './backoff';
import type { Clock, ConnectionState, Random, WebSocketCtor, WebSocketLike } from './types';
import { systemClock } from './types';

/** What an HTTP diagnosis decided after repeated failed handshakes; null = no verdict (keep retrying). */
export type HandshakeVerdict = 'rejected' | 'auth-required' | 'offline' | null;

export interface ComfySocketOptions {
  /** Server base URL (`http(s)://host:port[/prefix]`); the socket connects to `<base>/ws`. */
  baseUrl: string;
  /** Stable per server and installation; never another client's id (comfyui-protocol.md §1.2). */
  clientId: string;
  /** Sent as `?token=`; a browser WebSocket cannot send headers. */
  token?: string;
  WebSocket: WebSocketCtor;
  clock?: Clock;
  random?: Random;
  backoff?: BackoffPolicy;
  /** Flags sent first on every connection. */
  featureFlags?: Record<string, unknown>;
  /** Default 20 s: keeps an MV3 worker alive; an idle ComfyUI sends nothing. */
  keepaliveMs?: number;
  /**
   * A connection that stays open this long resets the backoff even without a `status` frame (servers
   * that never send one). Default 10 s.
   */
  healthyAfterMs?: number;
  /** A handshake that has not opened after this long is abandoned. Default 10 s. */
  connectTimeoutMs?: number;
  /** Silence (no frame) while busy after which HTTP is asked. Default 15 s; doubles per consecutive zombie. */
  silenceMs?: number;
  /** Whether a job is active; silence only counts while this is true. */
  isBusy?: () => boolean;
  /**
   * HTTP liveness: resolves true when the server answers. Asked when a busy socket is silent (zombie
   * check), and while disconnected at the policy's `probeDelay` (reachability).
   */
  probe?: () => Promise<boolean>;
  /** Asked after `diagnoseAfterFailures` handshakes in a row failed before opening. */
  diagnose?: () => Promise<HandshakeVerdict>;
  diagnoseAfterFailures?: number;
  /** Retry delay floor while the diagnosis says rejected/auth-required. Default 30 s. */
  blockedRetryMs?: number;
}

export interface SocketStats {
  /** Handshakes started (the first connect included). */
  attempts: number;
  opens: number;
  /** Connections replaced because HTTP answered while the socket stayed mute during a job. */
  zombies: number;
  /** Liveness probes made (silence while busy). */
  probes: number;
  /** HTTP reachability probes made while disconnected. */
  reachProbes: number;
}

type Listener<T> = (value: T) => void;
interface SocketEvents {
  state: ConnectionState;
  message: unknown;
  /** Every successful open; `reconnect` is false only for the first. */
  open: { generation: number; reconnect: boolean };
  /** The connection's first `status` frame arrived: the server is real; the backoff was reset. */
  proven: { generation: number };
  close: { code: number; opened: boolean };
}

const FEATURE_FLAGS = { supports_preview_metadata: true };
const KEEPALIVE = JSON.stringify({ type: 'keepalive' });
const MAX_SILENCE_MS = 120_000;
/** Delay between abandoning a zombie and dialling again: lets the server finish with the old socket first. */
const ZOMBIE_REDIAL_MS = 250;

/** `ws(s)://host[/prefix]/ws?clientId=…[&token=…]`. */
export function buildWsUrl(baseUrl: string, clientId: string, token?: string): string {
  const u = new URL(`${baseUrl.replace(/\/+$/, '')}/ws`);
  u.protocol = u.protocol === 'https:' || u.protocol === 'wss:' ? 'wss:' : 'ws:';
  u.searchParams.set('clientId', clientId);
  if (token) u.searchParams.set('token', token);
  return u.toString();
}

export class ComfySocket {
  readonly stats: SocketStats = { attempts: 0, opens: 0, zombies: 0, probes: 0, reachProbes: 0 };
  private readonly o: Required<
    Omit<ComfySocketOptions, 'token' | 'probe' | 'diagnose' | 'isBusy' | 'featureFlags' | 'random' | 'clock'>
  > &
    Pick<ComfySocketOptions, 'probe' | 'diagnose' | 'isBusy'>;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly url: string;
  private readonly flagsMessage: string;
  private readonly listeners: { [K in keyof SocketEvents]: Set<Listener<SocketEvents[K]>> } = {
    state: new Set(),
    message: new Set(),
    open: new Set(),
    proven: new Set(),
    close: new Set(),
  };

  private ws: WebSocketLike | undefined;
  private generation = 0;
  private started = false;
  private stopped = false;
  private everOpened = false;
  private opened = false;
  /** The current connection sent its first `status` frame. */
  private proven = false;
  private _state: ConnectionState = 'offline';
  /** Retries failed in a row since the last connection that proved itself: the backoff index. */
  private failures = 0;
  /** When the current outage began (the drop of the last proven connection). */
  private downSince = 0;
  /** Whether a "the server answers" signal may trigger a dial (see the invariants above). */
  private signalsArmed = true;
  private dialCause: 'schedule' | 'signal' | 'explicit' = 'schedule';
  private retryAt = 0;
  private probeTimer: unknown;
  private reachProbing = false;
  private handshakeFailures = 0;
  private verdict: HandshakeVerdict = null;
  private diagnosing = false;
  private lastFrameAt = 0;
  private zombieStreak = 0;
  private probing = false;
  private retryTimer: unknown;
  private connectionTimers: unknown[] = [];

  constructor(options: ComfySocketOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.url = buildWsUrl(options.baseUrl, options.clientId, options.token);
    this.flagsMessage = JSON.stringify({
      type: 'feature_flags',
      data: options.featureFlags ?? FEATURE_FLAGS,
    });
    this.o = {
      baseUrl: options.baseUrl,
      clientId: options.clientId,
      WebSocket: options.WebSocket,
      backoff: options.backoff ?? defaultBackoff,
      keepaliveMs: options.keepaliveMs ?? 20_000,
      healthyAfterMs: options.healthyAfterMs ?? 10_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      silenceMs: options.silenceMs ?? 15_000,
      diagnoseAfterFailures: options.diagnoseAfterFailures ?? 3,
      blockedRetryMs: options.blockedRetryMs ?? 30_000,
      isBusy: options.isBusy,
      probe: options.probe,
      diagnose: options.diagnose,
    };
  }

  get state(): ConnectionState {
    return this._state;
  }

  get clientId(): string {
    return this.o.clientId;
  }

  /** The connect generation; increments on every handshake. */
  get currentGeneration(): number {
    return this.generation;
  }

  on<K extends keyof SocketEvents>(event: K, cb: Listener<SocketEvents[K]>): () => void {
    this.listeners[event].add(cb);
    return () => this.listeners[event].delete(cb);
  }

  connect(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.dial();
  }

  /**
   * "The network or the server is back" from outside (an `online` event, the ComfyUI tab's own socket
   * reopening, the user opening a view): dial now, skipping the wait. No-op while connected or dialling.
   */
  retryNow(): void {
    if (!this.started || this.stopped || this.ws) return;
    this.dialNow('explicit');
  }

  /**
   * Evidence that the server answers HTTP (any answer of ours): dial now, unless a dial on such evidence
   * already failed in this outage (HTTP up, WS refused: the next scheduled retry will try again).
   */
  serverAnswered(): void {
    if (!this.started || this.stopped || this.ws || !this.canDialOnSignal()) return;
    this.dialNow('signal');
  }

  /** Tells the socket a job made visible progress, so long silent nodes do not keep escalating. */
  noteProgress(): void {
    this.zombieStreak = 0;
  }

  /** Sends a JSON object on the open connection; returns false when there is none. */
  send(message: Record<string, unknown>): boolean {
    if (!this.ws || !this.opened) return false;
    return this.trySend(this.ws, JSON.stringify(message));
  }

  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.generation++;
    this.clock.clearTimeout(this.retryTimer);
    this.clock.clearTimeout(this.probeTimer);
    this.clearConnectionTimers();
    const ws = this.ws;
    this.ws = undefined;
    if (ws) safeClose(ws, 1000);
    this.setState('offline');
  }

  private dialNow(cause: 'signal' | 'explicit'): void {
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.dial(cause);
  }

  private dial(cause: 'schedule' | 'signal' | 'explicit' = 'schedule'): void {
    const gen = ++this.generation;
    this.opened = false;
    this.proven = false;
    this.dialCause = cause;
    this.clock.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.stats.attempts++;
    if (this.stats.attempts === 1) this.setState('connecting');
    let ws: WebSocketLike;
    try {
      ws = new this.o.WebSocket(this.url);
    } catch {
      // An invalid URL or a constructor that throws synchronously: treat like a failed handshake.
      this.ws = undefined;
      this.onDown(1006);
      return;
    }
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => this.onOpen(gen, ws);
    ws.onmessage = (ev) => {
      if (gen !== this.generation) return;
      this.lastFrameAt = this.clock.now();
      if (!this.proven && isStatusFrame(ev.data)) this.onProven(gen);
      this.emit('message', ev.data);
    };
    ws.onerror = () => {
      // A close event always follows an error (WHATWG and `ws` alike); it does the work.
    };
    ws.onclose = (ev) => {
      if (gen !== this.generation) return;
      this.ws = undefined;
      this.onDown(ev?.code ?? 1006);
    };
    this.connectionTimers.push(
      this.clock.setTimeout(() => {
        if (gen !== this.generation || this.opened) return;
        this.abandon(ws);
        this.onDown(4000);
      }, this.o.connectTimeoutMs),
    );
  }

  private onOpen(gen: number, ws: WebSocketLike): void {
    if (gen !== this.generation) return;
    this.clearConnectionTimers();
    this.opened = true;
    this.stats.opens++;
    this.handshakeFailures = 0;
    this.verdict = null;
    this.lastFrameAt = this.clock.now();
    this.trySend(ws, this.flagsMessage);
    const reconnect = this.everOpened;
    this.everOpened = true;
    this.scheduleKeepalive(gen, ws);
    this.connectionTimers.push(
      this.clock.setTimeout(() => {
        if (gen === this.generation) this.failures = 0;
      }, this.o.healthyAfterMs),
    );
    this.scheduleLiveness(gen, ws, this.o.silenceMs);
    this.setState('connected');
    this.emit('open', { generation: gen, reconnect });
  }

  /** ComfyUI greets every new socket with `status`: proof of a real server, so the next outage starts afresh. */
  private onProven(gen: number): void {
    this.proven = true;
    this.failures = 0;
    this.signalsArmed = true;
    this.emit('proven', { generation: gen });
  }

  /** The current connection is gone (its close event passed the generation guard, or we abandoned it). */
  private onDown(code: number): void {
    const wasOpen = this.opened;
    this.opened = false;
    this.clearConnectionTimers();
    this.emit('close', { code, opened: wasOpen });
    if (this.stopped) return;
    // failures is 0 only after a connection that proved itself (or before the first): a new outage
    if (this.failures === 0) this.downSince = this.clock.now();
    if (!this.proven && this.dialCause === 'signal') this.signalsArmed = false;
    if (!wasOpen) this.handshakeFailures++;
    this.maybeDiagnose();
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const planned = this.o.backoff.delay(this.failures, this.random);
    this.failures++;
    if (planned === null) {
      this.setState('offline'); // only the peer policies kept for comparison ever give up
      return;
    }
    const delay =
      this.verdict === 'rejected' || this.verdict === 'auth-required'
        ? Math.max(planned, this.o.blockedRetryMs)
        : planned;
    this.setState(this.downState());
    this.clock.clearTimeout(this.retryTimer);
    this.retryAt = this.clock.now() + delay;
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) this.dial();
    }, delay);
    this.scheduleReachProbe();
  }

  /** While the doctor asks HTTP why handshakes fail, its answers are not news that the server is back. */
  private canDialOnSignal(): boolean {
    return this.signalsArmed && !this.diagnosing && !this.blocked();
  }

  private blocked(): boolean {
    return this.verdict === 'rejected' || this.verdict === 'auth-required';
  }

  /** The next HTTP reachability probe of this wait, if the policy probes and it comes before the handshake. */
  private scheduleReachProbe(): void {
    const { probe, backoff } = this.o;
    // a rejected or auth-required server needs the user's fix, not a poll
    if (!probe || !backoff.probeDelay || this.stopped || this.ws || this.blocked()) return;
    if (this.retryTimer === undefined) return;
    const now = this.clock.now();
    const delay = backoff.probeDelay(now - this.downSince, this.random);
    if (delay === null || now + delay >= this.retryAt) return;
    this.clock.clearTimeout(this.probeTimer);
    this.probeTimer = this.clock.setTimeout(() => this.reachProbe(probe), delay);
  }

  private reachProbe(probe: () => Promise<boolean>): void {
    this.probeTimer = undefined;
    if (this.stopped || this.ws || this.reachProbing || this.blocked()) return;
    const gen = this.generation;
    this.reachProbing = true;
    this.stats.reachProbes++;
    probe()
      .catch(() => false)
      .then((answers) => {
        this.reachProbing = false;
        if (this.stopped || this.ws || gen !== this.generation || this.blocked()) return;
        if (answers) {
          // disarmed: HTTP is up but WS failed on it; wait for the scheduled handshake, probe no more
          if (this.canDialOnSignal()) this.dialNow('signal');
          return;
        }
        this.signalsArmed = true; // unreachable again: its next answer is news
        this.scheduleReachProbe();
      });
  }

  private downState(): ConnectionState {
    if (this.verdict) return this.verdict;
    if (!this.everOpened) return this.failures > QUICK_PHASE_RETRIES ? 'offline' : 'connecting';
    return this.failures > QUICK_PHASE_RETRIES ? 'offline' : 'reconnecting';
  }

  /**
   * A WS handshake failure is only error + 1006 in a browser; HTTP can tell why
   * (comfyui-protocol.md §10 item 1).
   */
  private maybeDiagnose(): void {
    const diagnose = this.o.diagnose;
    const every = this.o.diagnoseAfterFailures;
    // Asked at the Nth, 2Nth, ... handshake failure in a row, so a fixed server is noticed again.
    if (!diagnose || this.diagnosing || this.handshakeFailures === 0 || this.handshakeFailures % every !== 0)
      return;
    this.diagnosing = true;
    diagnose()
      .catch((): HandshakeVerdict => null)
      .then((verdict) => {
        this.diagnosing = false;
        if (this.stopped || this.opened) return;
        this.verdict = verdict;
        if (!this.ws) this.setState(this.downState());
      });
  }

  private scheduleKeepalive(gen: number, ws: WebSocketLike): void {
    this.connectionTimers.push(
      this.clock.setTimeout(() => {
        if (gen !== this.generation) return;
        this.trySend(ws, KEEPALIVE);
        this.scheduleKeepalive(gen, ws);
      }, this.o.keepaliveMs),
    );
  }

  private silenceThreshold(): number {
    return Math.min(this.o.silenceMs * 2 ** this.zombieStreak, MAX_SILENCE_MS);
  }

  private scheduleLiveness(gen: number, ws: WebSocketLike, inMs: number): void {
    this.connectionTimers.push(this.clock.setTimeout(() => this.checkLiveness(gen, ws), Math.max(inMs, 250)));
  }

  private checkLiveness(gen: number, ws: WebSocketLike): void {
    if (gen !== this.generation || this.probing) return;
    const threshold = this.silenceThreshold();
    const silentFor = this.clock.now() - this.lastFrameAt;
    // Re-checked at least every base period, so a reset streak (noteProgress) takes effect promptly.
    if (silentFor < threshold) {
      this.scheduleLiveness(gen, ws, Math.min(threshold - silentFor, this.o.silenceMs));
      return;
    }
    // An idle ComfyUI sends nothing for minutes: silence without a running job proves nothing.
    if (!this.o.isBusy?.() || !this.o.probe) {
      this.scheduleLiveness(gen, ws, this.o.silenceMs);
      return;
    }
    const frameBefore = this.lastFrameAt;
    this.probing = true;
    this.stats.probes++;
    this.o
      .probe()
      .catch(() => false)
      .then((serverAnswers) => {
        this.probing = false;
        if (gen !== this.generation) return;
        if (serverAnswers && this.lastFrameAt === frameBefore && this.o.isBusy?.()) {
          this.replaceZombie(ws);
        } else {
          this.scheduleLiveness(gen, ws, this.o.silenceMs);
        }
      });
  }

  private replaceZombie(ws: WebSocketLike): void {
    this.stats.zombies++;
    this.zombieStreak++;
    this.abandon(ws);
    this.opened = false;
    this.clearConnectionTimers();
    this.setState('reconnecting');
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) this.dial();
    }, ZOMBIE_REDIAL_MS);
  }

  /** Detaches a socket (its late events fall to the generation guard) and closes it. */
  private abandon(ws: WebSocketLike): void {
    this.generation++;
    if (this.ws === ws) this.ws = undefined;
    safeClose(ws, 4000);
  }

  private trySend(ws: WebSocketLike, text: string): boolean {
    try {
      ws.send(text);
      return true;
    } catch {
      return false; // a socket closing under us; its close event drives the reconnect
    }
  }

  private clearConnectionTimers(): void {
    for (const t of this.connectionTimers) this.clock.clearTimeout(t);
    this.connectionTimers = [];
  }

  private setState(state: ConnectionState): void {
    if (state === this._state) return;
    this._state = state;
    this.emit('state', state);
  }

  private emit<K extends keyof SocketEvents>(event: K, value: SocketEvents[K]): void {
    for (const cb of this.listeners[event]) {
      try {
        cb(value);
      } catch {
        // A throwing listener must not break the connection logic of everyone else.
      }
    }
  }
}

/**
 * Whether a frame is ComfyUI's `status` event. Called only until a connection's first one, and parses
 * only frames that mention "status" at all, so other traffic pays a substring check at most.
 */
function isStatusFrame(data: unknown): boolean {
  if (typeof data !== 'string' || !data.includes('"status"')) return false;
  try {
    return (JSON.parse(data) as { type?: unknown } | null)?.type === 'status';
  } catch {
    return false;
  }
}

function safeClose(ws: WebSocketLike, code: number): void {
  try {
    ws.close(code);
  } catch {
    // a socket that is already closed may throw; cleanup must go on regardless
  }
}

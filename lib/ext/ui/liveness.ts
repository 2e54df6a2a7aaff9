/**
 * Whether the engine is alive, as an open page knows it, and which connection states it may show.
 *
 * Invariant: a page shows a server's connection state only when it was written by the engine that is
 * running now, i.e. the state's `since` is at or after that engine's `startedAt`, and that engine has
 * vouched for itself recently. The `connections` rows in Dexie outlive the engine (a closed offscreen
 * document leaves "connected" behind); an engine stamps `startedAt` before it opens any connection, so every
 * state it writes is at least that new, and anything older came from a dead engine. Until an engine
 * vouches (the worker's answer to `bg:ensureEngine`, or a heartbeat on the live channel), a page trusts no
 * state and its badges read `connecting`.
 *
 * Opening a page sends `bg:ensureEngine`, which wakes the worker and restores a dead engine at once. While
 * the page stays open, the engine's heartbeat keeps it confirmed; when heartbeats stop for `staleAfterMs`,
 * the page withdraws its trust and asks again (which also restores the engine sooner than the watchdog).
 */
import type { Clock } from '../../comfy/types';
import { ENGINE_HEARTBEAT_MS, type EngineStatus, LIVE_CHANNEL } from '../protocol';
import type { ChannelLike, LiveConnection } from './live';

export interface LivenessSnapshot {
  /** The confirmed engine's start, or null while no live engine has vouched. */
  readonly startedAt: number | null;
}

export interface EngineLiveness {
  subscribe(listener: () => void): () => void;
  getSnapshot(): LivenessSnapshot;
  close(): void;
}

export interface LivenessDeps {
  ensureEngine(): Promise<EngineStatus>;
  /** Carries the engine's heartbeats (`{ kind: 'engine' }` on the live channel). */
  channel?: ChannelLike;
  clock: Clock;
  /** No word from the engine for this long: trust is withdrawn and the engine asked for again. */
  staleAfterMs?: number;
  /** After a failed ask, the next one. */
  retryMs?: number;
}

const UNCONFIRMED: LivenessSnapshot = { startedAt: null };

function heartbeatStart(m: unknown): number | null {
  if (typeof m !== 'object' || m === null) return null;
  const r = m as Record<string, unknown>;
  return r.kind === 'engine' && typeof r.startedAt === 'number' && Number.isFinite(r.startedAt)
    ? r.startedAt
    : null;
}

export function createEngineLiveness(deps: LivenessDeps): EngineLiveness {
  const { clock } = deps;
  const staleAfterMs = deps.staleAfterMs ?? ENGINE_HEARTBEAT_MS * 2.5;
  const retryMs = deps.retryMs ?? 1000;
  let snapshot = UNCONFIRMED;
  let asking = false;
  let closed = false;
  let timer: unknown;
  const listeners = new Set<() => void>();

  const publish = (next: LivenessSnapshot) => {
    if (next.startedAt === snapshot.startedAt) return;
    snapshot = next;
    for (const l of listeners) l();
  };

  const arm = (ms: number, fn: () => void) => {
    clock.clearTimeout(timer);
    timer = clock.setTimeout(fn, ms);
  };

  const expire = () => {
    if (closed) return;
    publish(UNCONFIRMED);
    ask();
  };

  const confirm = (startedAt: number) => {
    if (closed) return;
    publish({ startedAt });
    arm(staleAfterMs, expire);
  };

  const ask = () => {
    if (asking || closed) return;
    asking = true;
    const retry = () => {
      asking = false;
      if (!closed) arm(retryMs, ask);
    };
    deps.ensureEngine().then((status: Partial<EngineStatus> | undefined) => {
      // no receiver yet (the worker is starting) answers undefined: ask again shortly
      if (typeof status?.startedAt !== 'number') return retry();
      asking = false;
      confirm(status.startedAt);
    }, retry);
  };

  if (deps.channel) {
    deps.channel.onmessage = (ev) => {
      const startedAt = heartbeatStart(ev.data);
      if (startedAt !== null) confirm(startedAt);
    };
  }
  ask();

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
    close() {
      closed = true;
      clock.clearTimeout(timer);
      if (deps.channel) {
        deps.channel.onmessage = null;
        deps.channel.close();
      }
      listeners.clear();
    },
  };
}

/** The connection states a page may show (see the invariant above); the others fall back to `connecting`. */
export function trustedConnections(
  connections: ReadonlyMap<string, LiveConnection>,
  liveness: LivenessSnapshot,
): Map<string, LiveConnection> {
  const out = new Map<string, LiveConnection>();
  const { startedAt } = liveness;
  if (startedAt === null) return out;
  for (const [id, c] of connections) if (c.since >= startedAt) out.set(id, c);
  return out;
}

/** A page's liveness over its own channel and the worker. */
export function createPageLiveness(ensureEngine: () => Promise<EngineStatus>, clock: Clock): EngineLiveness {
  return createEngineLiveness({
    ensureEngine,
    channel: new BroadcastChannel(LIVE_CHANNEL) as unknown as ChannelLike,
    clock,
  });
}

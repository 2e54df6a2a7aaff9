/**
 * The UI's view of the LIVE_CHANNEL: the newest job record, preview frame and connection state that the
 * engine broadcast, held only until Dexie catches up (the merge in `merge.ts` prefers whichever record is
 * newer). It is the low-latency half of the UI's state, never a second source of truth.
 *
 * Invariants:
 * - Messages are applied as they arrive and published at most once per animation frame, so a burst of
 *   progress ticks costs one React render, and a single frame is on screen within one frame.
 * - Every preview object URL this store creates is revoked when it is replaced, evicted or the store is
 *   closed; a stale (lower `seq`) preview never replaces a newer one.
 */
import type { ConnectionRecord, JobRecord } from '../db';
import { LIVE_CHANNEL, type LiveMessage } from '../protocol';

export interface LivePreview {
  url: string;
  seq: number;
  mime: string;
  /** When the engine sent the frame (for latency measurements). */
  sentAt: number;
}

/** What the live channel carries of a stored connection state. */
export type LiveConnection = Pick<ConnectionRecord, 'serverId' | 'state' | 'detail' | 'since'>;

export interface LiveSnapshot {
  readonly jobs: ReadonlyMap<string, JobRecord>;
  readonly previews: ReadonlyMap<string, LivePreview>;
  readonly connections: ReadonlyMap<string, LiveConnection>;
}

export interface LiveStore {
  subscribe(listener: () => void): () => void;
  getSnapshot(): LiveSnapshot;
  /** Applies one message as if it had arrived on the channel (the channel handler uses this). */
  apply(message: unknown): void;
  close(): void;
}

export interface ChannelLike {
  onmessage: ((ev: { data: unknown }) => void) | null;
  close(): void;
}

export interface LiveDeps {
  channel?: ChannelLike;
  createObjectURL(blob: Blob): string;
  revokeObjectURL(url: string): void;
  /** Runs `fn` before the next paint (requestAnimationFrame in pages). */
  schedule(fn: () => void): void;
  /** Most previews kept as object URLs at once; older jobs' previews fall back to Dexie. */
  maxPreviews?: number;
  /** Most job records kept; Dexie holds the rest. */
  maxJobs?: number;
}

export const EMPTY_SNAPSHOT: LiveSnapshot = { jobs: new Map(), previews: new Map(), connections: new Map() };

function isLiveMessage(m: unknown): m is LiveMessage {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  switch (r.kind) {
    case 'job': {
      const job = r.job as Record<string, unknown> | null;
      return (
        typeof job === 'object' &&
        job !== null &&
        typeof job.key === 'string' &&
        typeof job.updatedAt === 'number'
      );
    }
    case 'preview':
      return typeof r.jobKey === 'string' && r.bytes instanceof ArrayBuffer && typeof r.seq === 'number';
    case 'connection':
      return typeof r.serverId === 'string' && typeof r.state === 'string';
    default:
      return false;
  }
}

/** Drops the oldest insertion-order entries beyond `max`, calling `onEvict` for each. */
function trim<V>(map: Map<string, V>, max: number, onEvict?: (v: V) => void): void {
  for (const [k, v] of map) {
    if (map.size <= max) break;
    map.delete(k);
    onEvict?.(v);
  }
}

export function createLiveStore(deps: LiveDeps): LiveStore {
  const maxPreviews = deps.maxPreviews ?? 32;
  const maxJobs = deps.maxJobs ?? 500;
  let snapshot: LiveSnapshot = EMPTY_SNAPSHOT;
  // The frame being built: copy-on-write per map, so a slice nobody touched keeps its identity and its
  // subscribers (e.g. the connection badges during a burst of progress ticks) do not re-render.
  type Parts = {
    jobs: Map<string, JobRecord>;
    previews: Map<string, LivePreview>;
    connections: Map<string, LiveConnection>;
  };
  let next: LiveSnapshot | null = null;
  let copied = new Set<keyof Parts>();
  let toRevoke: string[] = [];
  let closed = false;
  const listeners = new Set<() => void>();

  const publish = () => {
    if (!next) return;
    snapshot = next;
    next = null;
    copied = new Set();
    for (const l of listeners) l();
    // The new URLs are in the snapshot now; the replaced ones can go (an <img> keeps its decoded frame).
    for (const url of toRevoke) deps.revokeObjectURL(url);
    toRevoke = [];
  };

  const draft = <K extends keyof Parts>(part: K): Parts[K] => {
    if (!next) {
      next = { ...snapshot };
      deps.schedule(publish);
    }
    if (!copied.has(part)) {
      // The generic key defeats Map's overloads; the copy has exactly the slice's element type.
      next = { ...next, [part]: new Map(snapshot[part] as ReadonlyMap<string, unknown>) };
      copied.add(part);
    }
    return next[part] as Parts[K];
  };

  const apply = (message: unknown) => {
    if (closed || !isLiveMessage(message)) return;
    switch (message.kind) {
      case 'job': {
        const current = (next ?? snapshot).jobs.get(message.job.key);
        if (current && current.updatedAt > message.job.updatedAt) return;
        const jobs = draft('jobs');
        jobs.delete(message.job.key); // re-insert to keep insertion order = recency for trimming
        jobs.set(message.job.key, message.job);
        trim(jobs, maxJobs);
        return;
      }
      case 'preview': {
        const current = (next ?? snapshot).previews.get(message.jobKey);
        if (current && current.seq >= message.seq) return;
        const url = deps.createObjectURL(new Blob([message.bytes], { type: message.mime }));
        const previews = draft('previews');
        if (current) toRevoke.push(current.url);
        previews.delete(message.jobKey);
        previews.set(message.jobKey, { url, seq: message.seq, mime: message.mime, sentAt: message.sentAt });
        trim(previews, maxPreviews, (p) => toRevoke.push(p.url));
        return;
      }
      case 'connection': {
        draft('connections').set(message.serverId, {
          serverId: message.serverId,
          state: message.state,
          since: message.since,
          ...(message.detail !== undefined && { detail: message.detail }),
        });
        return;
      }
    }
  };

  if (deps.channel) deps.channel.onmessage = (ev) => apply(ev.data);

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
    apply,
    close() {
      if (closed) return;
      closed = true;
      if (deps.channel) {
        deps.channel.onmessage = null;
        deps.channel.close();
      }
      const urls = new Set(toRevoke);
      for (const p of snapshot.previews.values()) urls.add(p.url);
      for (const p of next?.previews.values() ?? []) urls.add(p.url);
      for (const url of urls) deps.revokeObjectURL(url);
      next = null;
      listeners.clear();
    },
  };
}

/**
 * The store for a real extension page: the BroadcastChannel, blob URLs, and a per-frame flush. A visible
 * page flushes on requestAnimationFrame (a timer backs it up); a hidden one (a tab in the background, as in
 * end-to-end runs) gets neither rAF nor timely timers, so it flushes at the end of the message's task:
 * nothing is painted there anyway, and the DOM must still be current for whoever reads it.
 */
export function pageScheduler(doc: Pick<Document, 'visibilityState'> = document): (fn: () => void) => void {
  return (fn) => {
    if (doc.visibilityState === 'hidden') {
      queueMicrotask(fn);
      return;
    }
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      fn();
    };
    requestAnimationFrame(once);
    setTimeout(once, 50);
  };
}

export function createPageLiveStore(): LiveStore {
  return createLiveStore({
    // BroadcastChannel's handler type is `this`-bound; the store only needs `onmessage` and `close`.
    channel: new BroadcastChannel(LIVE_CHANNEL) as unknown as ChannelLike,
    createObjectURL: (b) => URL.createObjectURL(b),
    revokeObjectURL: (u) => URL.revokeObjectURL(u),
    schedule: pageScheduler(),
  });
}

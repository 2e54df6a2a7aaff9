/**
 * Hosts the engine in a page-like context (the offscreen document in Chrome, the background page in
 * Firefox): wires Dexie, the live channel, runtime messaging, the sync outbox, and reloads the engine
 * whenever servers or settings change in the database (whoever wrote them).
 */
import { liveQuery } from 'dexie';
import type { Clock, FetchLike, JobState, WebSocketCtor } from '../../comfy/types';
import { systemClock } from '../../comfy/types';
import { createSync, type Sync } from '../../sync';
import { parseTabFrames } from '../bridge/schema';
import type { ComfyPulseDB } from '../db';
import type { Translate } from '../i18n';
import { createDispatcher, type Handlers, type MessageSender } from '../messaging';
import { ENGINE_HEARTBEAT_MS, type LiveMessage } from '../protocol';
import { senderOrigin, senderPolicy } from '../sender-policy';
import { getSettings } from '../settings';
import { Engine, type EngineNotice } from './engine';

export interface EngineHostDeps {
  db: ComfyPulseDB;
  runtime?: {
    sendMessage(message: unknown): Promise<unknown>;
    onMessage: {
      addListener(cb: (m: unknown, s: MessageSender, r: (x: unknown) => void) => true | undefined): void;
    };
  };
  /** Where `bg:*` notices go when the engine shares the worker's context (Firefox): called directly. */
  notifyDirect?(notice: EngineNotice): Promise<unknown>;
  channel: { postMessage(m: LiveMessage): void };
  WebSocket: WebSocketCtor;
  fetch: FetchLike;
  t: Translate;
  /**
   * `chrome-extension://<id>` or `moz-extension://<uuid>`: the origin the doctor names, and the origin of
   * the only pages whose `engine:` messages are answered (see `sender-policy.ts`).
   */
  extensionOrigin: string;
  hasPermissions?(origins: string[]): Promise<boolean>;
  log?(msg: string, e?: unknown): void;
  /** Defaults to the system clock; tests pass a fake one. */
  clock?: Clock;
  /**
   * Where the browser's `online` event fires (every connection then dials at once). Defaults to the
   * hosting document's global (the offscreen document, Firefox's background page).
   */
  onlineEvents?: OnlineEvents;
  /** Records each job's preview frames and encodes its timelapse at the end (`lib/ext/timelapse`). */
  timelapse?: {
    addFrame(jobKey: string, mime: string, bytes: Uint8Array): void;
    finish(jobKey: string, job: JobState): unknown;
    /** A page opened (`engine:status`): an encode in progress yields the CPU to it for a moment. */
    pageOpened?(): void;
  };
  /** Scales an output down to the stored thumbnail (`lib/ext/media/thumbnail.ts`). */
  thumbnail?(data: Blob): Promise<Blob>;
}

export interface OnlineEvents {
  addEventListener(type: 'online', cb: () => void): void;
  removeEventListener(type: 'online', cb: () => void): void;
}

export interface EngineHost {
  engine: Engine;
  /** Identifies this engine instance: every connection state it writes is stamped at or after it. */
  startedAt: number;
  sync: Sync;
  handlers: Handlers<'engine:'>;
  stop(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The hosting document's own event target, where there is one (not in Node). */
function globalOnlineEvents(): OnlineEvents | undefined {
  const g = globalThis as Partial<OnlineEvents>;
  return typeof g.addEventListener === 'function' && typeof g.removeEventListener === 'function'
    ? (g as OnlineEvents)
    : undefined;
}

export function startEngineHost(deps: EngineHostDeps): EngineHost {
  const { db } = deps;
  const log = deps.log ?? (() => undefined);
  const clock = deps.clock ?? systemClock;
  // Taken before any connection starts, so no state this engine writes is older than it (see ui/liveness.ts).
  const startedAt = clock.now();
  const sync = createSync({
    getConfig: async () => {
      const s = (await getSettings(db)).sync;
      return { enabled: s.enabled, url: s.url, apiKey: s.apiKey };
    },
    fetch: deps.fetch,
    clock,
    random: Math.random,
  });

  /** Delivers to the worker; `sendMessage` wakes a stopped worker, a retry covers its start-up. */
  const notify = async (notice: EngineNotice) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        if (deps.notifyDirect) await deps.notifyDirect(notice);
        else await deps.runtime?.sendMessage(notice);
        return;
      } catch (e) {
        if (attempt === 4) log(`${notice.type} not delivered`, e);
        await sleep(200 * (attempt + 1));
      }
    }
  };

  const engine: Engine = new Engine({
    db,
    WebSocket: deps.WebSocket,
    fetch: deps.fetch,
    clock,
    t: deps.t,
    extensionOrigin: deps.extensionOrigin,
    broadcast: (m) => deps.channel.postMessage(m),
    notify: (n) => void notify(n),
    onFlushed: (serverId, f) => {
      // the team sees servers by address; the local id means nothing outside this installation
      const server = engine.connection(serverId)?.server.url ?? serverId;
      for (const job of f.jobs)
        void sync.enqueueJobChange(server, job).catch((e) => log('sync enqueue failed', e));
    },
    ...(deps.hasPermissions ? { hasPermissions: deps.hasPermissions } : {}),
    ...(deps.timelapse
      ? {
          onPreviewFrame: (f) => deps.timelapse?.addFrame(f.jobKey, f.mime, f.bytes),
          onJobEnded: (k, job) => void deps.timelapse?.finish(k, job),
        }
      : {}),
    ...(deps.thumbnail ? { thumbnail: deps.thumbnail } : {}),
    log,
  });

  const handlers: Handlers<'engine:'> = {
    'engine:cancelJob': (req) => engine.cancelJob(req),
    'engine:runDoctor': (req) => engine.runDoctor(req),
    'engine:reload': async () => {
      await engine.reload();
      sync.kick();
      return { ok: true };
    },
    'engine:refresh': (req) => engine.refresh(req),
    'engine:syncStatus': () => sync.getSyncStatus(),
    'engine:syncDeadLetters': async () => ({ deadLetters: await sync.deadLetters() }),
    'engine:syncRetryDeadLetters': () => sync.retryDeadLetters(),
    // only bg:ensureEngine asks, when a page opens: someone is looking, so waiting connections dial now
    'engine:status': () => {
      engine.dialNow();
      deps.timelapse?.pageOpened?.();
      return { startedAt };
    },
    // the sender policy admits these from a configured server's tab only; the payload is checked here
    'engine:tabFrames': (req, sender) => {
      const frames = parseTabFrames(req);
      const applied = frames && sender.url ? engine.ingestTabFrames(sender.url, frames) : 0;
      return { ok: applied > 0, applied };
    },
    'engine:tabReconnected': (_req, sender) => ({
      ok: Boolean(sender.tab && sender.url && engine.tabReconnected(sender.url)),
    }),
  };
  deps.runtime?.onMessage.addListener(
    createDispatcher('engine:', handlers, {
      accept: senderPolicy({
        extensionBase: `${deps.extensionOrigin}/`,
        isServerPage: (url) => engine.servesPage(url),
      }),
      onError: (type, e) => log(`${type} failed`, e),
      onRefused: (type, sender) => log(`refused ${type} from ${senderOrigin(sender)}`),
    }),
  );

  // The first emission starts the engine; later ones follow edits from any context.
  const subscription = liveQuery(() => Promise.all([db.servers.toArray(), db.settings.toArray()])).subscribe({
    next: () => {
      void engine.reload().then(() => {
        engine.reportActivity(true);
        sync.kick();
      });
    },
    error: (e) => log('settings subscription failed', e),
  });

  const online = deps.onlineEvents ?? globalOnlineEvents();
  const onOnline = () => engine.dialNow();
  online?.addEventListener('online', onOnline);

  // A cheap liveness signal for open pages: a post on the live channel, no database write, no worker wake-up.
  let heartbeat: unknown;
  const beat = () => {
    deps.channel.postMessage({ kind: 'engine', startedAt, at: clock.now() });
    heartbeat = clock.setTimeout(beat, ENGINE_HEARTBEAT_MS);
  };
  beat();

  return {
    engine,
    startedAt,
    sync,
    handlers,
    stop: () => {
      online?.removeEventListener('online', onOnline);
      clock.clearTimeout(heartbeat);
      subscription.unsubscribe();
      sync.stop();
      void engine.stop();
    },
  };
}

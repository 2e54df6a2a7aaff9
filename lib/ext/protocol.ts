/**
 * The one typed message protocol between the extension's contexts.
 *
 * - Request/response messages go through `chrome.runtime.sendMessage` and are named after their receiver
 *   (`bg:` the service worker, `engine:` the offscreen engine that owns the ComfyUI sockets).
 * - Live updates (job ticks, previews, connection states) go over a `BroadcastChannel` named
 *   `LIVE_CHANNEL`, which reaches every extension page (popup, side panel, options, offscreen) without
 *   waking the service worker. Dexie stays the durable truth; the live channel only makes the UI fast.
 *
 * Payload and result types are declared once here; senders and handlers are typed from this map, so the
 * protocol cannot drift between contexts.
 */

import type { ConnectionState } from '../comfy/types';
import type { DeadLetter, SyncStatus } from '../sync/outbox';
import type { JobRecord, ServerRecord, TokenMode } from './db';

export interface ServerInput {
  id?: string;
  name: string;
  url: string;
  token?: string;
  tokenMode?: TokenMode;
  enabled?: boolean;
}

export type CancelOutcome =
  | { ok: true; method: 'interrupt' | 'delete' | 'jobs-cancel' }
  | { ok: false; reason: 'not-found' | 'not-running' | 'finished' | 'error'; message: string };

export type DoctorFinding =
  | 'ok'
  | 'unreachable'
  | 'origin-rejected'
  | 'auth-required'
  | 'tls'
  | 'permission-missing'
  | 'server-error';

export interface DoctorReport {
  finding: DoctorFinding;
  /** Plain-language explanation and fix, already localised; rendered as text. */
  message: string;
  /** Each check that ran, in order, for the detailed view. */
  checks: { name: string; ok: boolean; detail: string }[];
  serverVersion?: string;
}

/** Request/response messages. Key: `<receiver>:<verb>`. */
export interface ProtocolMap {
  /** Cancel a running job (interrupt) or delete a pending one; never touches another job. */
  'bg:cancelJob': { req: { serverId: string; promptId: string }; res: CancelOutcome };
  /** Add or update a server; the options page requests host permission first where needed. */
  'bg:saveServer': {
    req: ServerInput;
    res: { ok: true; server: Omit<ServerRecord, 'token'> } | { ok: false; error: string };
  };
  'bg:removeServer': { req: { id: string }; res: { ok: boolean } };
  /** Run the connection doctor against a saved server or a candidate URL. */
  'bg:runDoctor': {
    req: { serverId?: string; url?: string; token?: string; tokenMode?: TokenMode };
    res: DoctorReport;
  };
  /** Open the side panel (optionally at a job) from the popup or a notification. */
  'bg:openSidePanel': { req: { jobKey?: string; windowId?: number }; res: { ok: boolean } };
  /** Ask the engine to reconcile now (e.g. the user pressed refresh). */
  'bg:refresh': { req: { serverId?: string }; res: { ok: boolean } };
  /** Engine-side handlers the service worker forwards to. */
  'engine:cancelJob': { req: { serverId: string; promptId: string }; res: CancelOutcome };
  'engine:runDoctor': ProtocolMap['bg:runDoctor'];
  /** The service worker tells the engine that servers or settings changed. */
  'engine:reload': { req: Record<string, never>; res: { ok: boolean } };
  'engine:refresh': ProtocolMap['bg:refresh'];
  /** The engine asks the service worker to notify about a job that reached a terminal status. */
  'bg:jobFinished': { req: { jobKey: string }; res: { ok: boolean } };
  /** The engine reports aggregate activity so the service worker can update the toolbar badge. */
  'bg:activity': { req: { running: number; pending: number; singleProgress?: number }; res: { ok: boolean } };
  /** Settings changed (options page saved them): rebuild rules and let the engine re-read. */
  'bg:reloadEngine': { req: Record<string, never>; res: { ok: boolean } };
  /** The sync outbox's state for the options page: last sync, pending count, last error. */
  'bg:syncStatus': { req: Record<string, never>; res: SyncStatusReport };
  'engine:syncStatus': ProtocolMap['bg:syncStatus'];
  /** Every record in the sync dead-letter store, oldest first (the options page exports them as JSON). */
  'bg:syncDeadLetters': { req: Record<string, never>; res: { deadLetters: DeadLetter[] } };
  'engine:syncDeadLetters': ProtocolMap['bg:syncDeadLetters'];
  /** Queue every dead letter again (after a server upgrade) and upload at once. */
  'bg:syncRetryDeadLetters': { req: Record<string, never>; res: { requeued: number } };
  'engine:syncRetryDeadLetters': ProtocolMap['bg:syncRetryDeadLetters'];
  /**
   * A page (popup, side panel, options) opened: wake the worker, make sure the engine runs (restoring it at
   * once instead of at the next watchdog tick) and answer with the engine's own confirmation.
   */
  'bg:ensureEngine': { req: Record<string, never>; res: EngineStatus };
  /**
   * A page opened (sent only by `bg:ensureEngine`): the engine confirms it is alive (`startedAt`
   * identifies this instance) and, since someone is looking, every waiting connection dials now.
   */
  'engine:status': { req: Record<string, never>; res: { startedAt: number } };
  /** The tab bridge relays what the ComfyUI tab's own socket received (accepted from configured servers only). */
  'engine:tabFrames': {
    req: { frames: { type: string; data: unknown }[] };
    res: { ok: boolean; applied: number };
  };
  /**
   * The ComfyUI tab's own socket reopened (the frontend's `reconnected`): that server is back, so the
   * engine dials it now. Acted on only for a tab on a configured server's origin; `ok` says whether one was.
   */
  'engine:tabReconnected': { req: Record<string, never>; res: { ok: boolean } };
}

export interface EngineStatus {
  /** Whether the engine already ran before this request (false: it was down and has just been started). */
  wasRunning: boolean;
  /** When the answering engine started: connection states stamped earlier were written by a dead engine. */
  startedAt: number;
}

export type SyncStatusReport = SyncStatus & { enabled: boolean; nextAttemptAt: number | null };

export type ProtocolKey = keyof ProtocolMap;
export type ProtocolRequest<K extends ProtocolKey> = ProtocolMap[K]['req'];
export type ProtocolResponse<K extends ProtocolKey> = ProtocolMap[K]['res'];

/** The envelope on the wire. */
export interface ProtocolMessage<K extends ProtocolKey = ProtocolKey> {
  type: K;
  payload: ProtocolRequest<K>;
}

export const LIVE_CHANNEL = 'comfypulse:live';

/** Messages on the live BroadcastChannel. */
export type LiveMessage =
  | { kind: 'job'; job: JobRecord }
  | { kind: 'preview'; jobKey: string; mime: string; bytes: ArrayBuffer; seq: number; sentAt: number }
  | { kind: 'connection'; serverId: string; state: ConnectionState; detail?: string; since: number }
  /** The engine's liveness heartbeat (at start and every `ENGINE_HEARTBEAT_MS`). */
  | { kind: 'engine'; startedAt: number; at: number };

/** How often the engine says it is alive on the live channel. */
export const ENGINE_HEARTBEAT_MS = 10_000;

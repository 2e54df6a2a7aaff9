/**
 * The extension's IndexedDB, through Dexie. It is the single source of truth that every context reads:
 * the offscreen engine writes jobs, node runs, previews and connection states; the service worker writes
 * servers and reads finished jobs for notifications; the popup, side panel and options read it with
 * `liveQuery`. Offscreen documents can only use `chrome.runtime`, so everything the engine needs to know
 * (servers, settings) lives here rather than in `chrome.storage`.
 *
 * Invariants:
 * - A job's key is `${serverId}:${promptId}`; prompt ids are unique only per server.
 * - `active` is 1 while the job is pending or running and 0 once terminal (IndexedDB cannot index booleans).
 * - Schema changes add a new `version(n)` with an upgrade; existing versions are never edited.
 */
import Dexie, { type EntityTable, type Transaction } from 'dexie';
import type { TokenMode } from '../comfy/http';
import type { ConnectionState, JobState, NodeId } from '../comfy/types';

/** How a server's token is sent: the protocol client's options, stored per server. */
export type { TokenMode } from '../comfy/http';

/**
 * `Authorization: Bearer`, on the WebSocket handshake and `/view` images too (through the DNR rule): a
 * token in a URL ends up in proxy and access logs. `query` stays for servers that accept nothing else.
 */
export const DEFAULT_TOKEN_MODE: TokenMode = 'header';

export interface ServerRecord {
  id: string;
  name: string;
  /** http(s)://host:port, no trailing slash. */
  url: string;
  /** Secret: never logged, never synced, never sent to the UI's live channel. */
  token?: string;
  tokenMode: TokenMode;
  enabled: boolean;
  /** Stable per server and installation; never the id of another client (see comfyui-protocol.md §2.3). */
  clientId: string;
  createdAt: number;
}

/**
 * A tracked job as stored: the tracker's `JobState` keyed per server, plus what only the extension
 * knows. `awaitingReconciliation` is left out because it is a hint for the live tracker only.
 */
export interface JobRecord extends Omit<JobState, 'awaitingReconciliation'> {
  /** `${serverId}:${promptId}` */
  key: string;
  serverId: string;
  /** 1 while pending or running, else 0 (indexed). */
  active: 0 | 1;
  /** When this installation first saw the job (history ordering). */
  createdAt: number;
  /** class_type of the current node, when known. */
  currentClassType?: string;
  /** Key in `blobs` of the output thumbnail, once fetched from /view. */
  thumbKey?: string;
  /** Set once the desktop notification for the terminal status was shown (dedupes across SW restarts). */
  notifiedAt?: number;
  /** The workflow's name as the ComfyUI tab knows it, when the tab bridge relayed it (remote text). */
  workflowName?: string;
}

/** One node run: the local twin of the server's `model_usage_log`. */
export interface NodeRunRecord {
  /** `${jobKey}:${nodeId}` */
  key: string;
  jobKey: string;
  serverId: string;
  nodeId: NodeId;
  classType?: string;
  startedAt?: number;
  durationMs?: number;
  cached: boolean;
}

export type BlobKind = 'preview' | 'thumb' | 'timelapse';

export interface BlobRecord {
  /**
   * `${jobKey}:preview` for the latest live preview, `${jobKey}:thumb` for the output thumbnail,
   * `${jobKey}:timelapse` for the animation of the job's preview frames.
   */
  key: string;
  jobKey: string;
  kind: BlobKind;
  mime: string;
  data: Blob;
  size: number;
  createdAt: number;
  /** Timelapses: frame count and size of the animation; the encode's work and its wall time with rests (ms). */
  frames?: number;
  width?: number;
  height?: number;
  encodeMs?: number;
  encodeElapsedMs?: number;
  /** Timelapses stored as video: the codec (`av1`). */
  codec?: string;
  /** Timelapses stored as GIF because the browser could not encode video: why (shown to the user). */
  fallback?: string;
}

export interface ConnectionRecord {
  serverId: string;
  state: ConnectionState;
  /** Plain-language reason for the state, when it is not `connected` (rendered as text). */
  detail?: string;
  since: number;
  /** ComfyUI version from /system_stats, when known. */
  serverVersion?: string;
  /** Whether the server has `/api/jobs`. */
  jobsApi?: boolean;
}

export interface SettingRecord {
  key: string;
  value: unknown;
}

export type ComfyPulseDB = Dexie & {
  servers: EntityTable<ServerRecord, 'id'>;
  jobs: EntityTable<JobRecord, 'key'>;
  nodeRuns: EntityTable<NodeRunRecord, 'key'>;
  blobs: EntityTable<BlobRecord, 'key'>;
  connections: EntityTable<ConnectionRecord, 'serverId'>;
  settings: EntityTable<SettingRecord, 'key'>;
};

export const DB_NAME = 'comfypulse';

/**
 * Version 1, as first shipped: servers without token mode or clientId, jobs keyed like today but with
 * `finishedAt` instead of `endedAt` and no `active` flag, and only the indexes the first popup needed.
 * Kept verbatim so an installation that still holds a v1 database upgrades through `upgradeV1toV2`.
 */
export const SCHEMA_V1 = {
  servers: 'id',
  jobs: 'key, serverId, status, createdAt',
  settings: 'key',
} as const;

/**
 * Version 2. Every index serves a query in `storage/repo.ts`:
 * - jobs: active jobs (`active`, `[serverId+active]`), history by time (`createdAt`, `updatedAt`),
 *   by status (`[status+createdAt]`), by server (`[serverId+createdAt]`, `[serverId+status+createdAt]`),
 *   notifications after a worker restart (`endedAt`);
 * - nodeRuns: per job (`jobKey`) and per node class (`classType`, for timing aggregates);
 * - blobs: per job, by age (retention, oldest first) and by kind.
 */
export const SCHEMA_V2 = {
  servers: 'id, createdAt',
  jobs:
    'key, serverId, promptId, status, active, createdAt, updatedAt, endedAt, [serverId+active], ' +
    '[status+createdAt], [serverId+createdAt], [serverId+status+createdAt]',
  nodeRuns: 'key, jobKey, serverId, classType, startedAt',
  blobs: 'key, jobKey, createdAt, kind',
  connections: 'serverId',
  settings: 'key',
} as const;

/**
 * Version 3, the current schema. No row changes; the upgrade only builds two indexes:
 * - blobs `[kind+createdAt]`: the byte budget evicts the oldest timelapses before any thumbnail or preview
 *   without reading every blob;
 * - nodeRuns `[classType+startedAt]`: a job's detail compares each node with the median of that class's
 *   latest runs without reading every run of the class.
 */
export const SCHEMA_V3 = {
  ...SCHEMA_V2,
  nodeRuns: 'key, jobKey, serverId, classType, startedAt, [classType+startedAt]',
  blobs: 'key, jobKey, createdAt, kind, [kind+createdAt]',
} as const;

export const DB_VERSION = 3;

/** The shape of a v1 job row, for the upgrade only. */
interface JobRecordV1 {
  key: string;
  serverId: string;
  promptId: string;
  status: JobRecord['status'];
  createdAt: number;
  finishedAt?: number;
  [field: string]: unknown;
}

interface ServerRecordV1 {
  id: string;
  name: string;
  url: string;
  token?: string;
  enabled?: boolean;
  createdAt?: number;
}

const ACTIVE_STATUSES: ReadonlySet<string> = new Set(['pending', 'running']);

export function activeFlag(status: JobRecord['status']): 0 | 1 {
  return ACTIVE_STATUSES.has(status) ? 1 : 0;
}

/**
 * v1 → v2: jobs gain `active`, `endedAt` (was `finishedAt`), `updatedAt` and the tracker fields that v1
 * left out; servers gain `tokenMode` and a stable `clientId` (v1 let the server pick one per connection).
 * A v1 job still "running" cannot be trusted after an upgrade, but the engine reconciles it on connect,
 * so it stays active here rather than being guessed at.
 */
export async function upgradeV1toV2(tx: Transaction, newId: () => string = () => crypto.randomUUID()) {
  await tx
    .table('servers')
    .toCollection()
    .modify((s: ServerRecordV1 & Partial<ServerRecord>) => {
      s.tokenMode ??= 'query';
      s.enabled ??= true;
      s.clientId ??= `comfypulse-${newId()}`;
      s.createdAt ??= 0;
    });
  await tx
    .table('jobs')
    .toCollection()
    .modify((j: JobRecordV1 & Partial<JobRecord>) => {
      j.active = activeFlag(j.status);
      if (j.finishedAt !== undefined) j.endedAt ??= j.finishedAt;
      delete j.finishedAt;
      j.updatedAt ??= j.endedAt ?? j.createdAt;
      j.own ??= false;
      j.currentNode ??= null;
      j.progress ??= j.status === 'success' ? 1 : 0;
      j.nodes ??= {};
      j.classTypes ??= {};
      j.outputs ??= {};
      j.previewCount ??= 0;
      // Jobs that finished before the upgrade were already announced by v1 (or are too old to matter).
      if (j.active === 0) j.notifiedAt ??= j.endedAt ?? j.createdAt;
    });
}

export interface OpenDbOptions {
  /** For tests and Node: an IndexedDB factory (fake-indexeddb); browsers use the global one. */
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
}

/** Opens (lazily, on first query) the extension database with every migration declared. */
export function openDb(name: string = DB_NAME, opts: OpenDbOptions = {}): ComfyPulseDB {
  const db = new Dexie(name, {
    ...(opts.indexedDB ? { indexedDB: opts.indexedDB } : {}),
    ...(opts.IDBKeyRange ? { IDBKeyRange: opts.IDBKeyRange } : {}),
  }) as ComfyPulseDB;
  db.version(1).stores(SCHEMA_V1);
  db.version(2)
    .stores(SCHEMA_V2)
    .upgrade((tx) => upgradeV1toV2(tx));
  db.version(3).stores(SCHEMA_V3);
  return db;
}

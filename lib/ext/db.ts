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
import type Dexie from 'dexie';
import type { EntityTable } from 'dexie';
import type {
  ConnectionState,
  JobError,
  JobStatus,
  NodeId,
  NodeOutput,
  NodeRun,
  PreviewRef,
} from '../comfy/types';

export type TokenMode = 'query' | 'header' | 'both';

export interface ServerRecord {
  id: string;
  name: string;
  /** http(s)://host:port, no trailing slash. */
  url: string;
  /** Secret: never logged, never synced, never sent to the UI's live channel. */
  token?: string;
  tokenMode: TokenMode;
  enabled: boolean;
  /** Stable per server and installation; never the id of another client (see protocol §2.3). */
  clientId: string;
  createdAt: number;
}

export interface JobRecord {
  /** `${serverId}:${promptId}` */
  key: string;
  serverId: string;
  promptId: string;
  status: JobStatus;
  /** 1 while pending or running, else 0 (indexed). */
  active: 0 | 1;
  own: boolean;
  clientId?: string;
  number?: number;
  /** When this installation first saw the job (history ordering). */
  createdAt: number;
  queuedAt?: number;
  startedAt?: number;
  endedAt?: number;
  updatedAt: number;
  currentNode: NodeId | null;
  /** class_type of the current node, when known. */
  currentClassType?: string;
  progress: number;
  nodes: Record<NodeId, NodeRun>;
  classTypes: Record<NodeId, string>;
  outputs: Record<NodeId, NodeOutput>;
  error?: JobError;
  interruptedAt?: { nodeId?: NodeId; nodeType?: string };
  preview?: PreviewRef;
  previewCount: number;
  /** Key in `blobs` of the output thumbnail, once fetched from /view. */
  thumbKey?: string;
  /** Set once the desktop notification for the terminal status was shown (dedupes across SW restarts). */
  notifiedAt?: number;
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

export interface BlobRecord {
  /** `${jobKey}:preview` for the latest live preview, `${jobKey}:thumb` for the output thumbnail. */
  key: string;
  jobKey: string;
  kind: 'preview' | 'thumb';
  mime: string;
  data: Blob;
  size: number;
  createdAt: number;
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

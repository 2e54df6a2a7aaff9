/**
 * The shared vocabulary of `lib/comfy`. Every module of the protocol core, the extension and the
 * sync server speaks in these types, so they change only with care.
 *
 * Invariant: nothing here may import from `browser`, `chrome`, React or Node built-ins; the core runs
 * unchanged in a service worker, an extension page, a web page and Node 20.
 */

/** Node ids are the string keys of the API-format prompt; subgraph ids are colon paths ("12:5"). */
export type NodeId = string;

/** The API-format graph posted to `/prompt`. */
export type ApiPrompt = Record<
  NodeId,
  { class_type: string; inputs: Record<string, unknown>; _meta?: unknown }
>;

/** One file in an `executed` output (`images`, `gifs`, `audio`, `video`, ...). Extra keys pass through. */
export interface OutputFile {
  filename: string;
  subfolder: string;
  type: string; // 'output' | 'temp' | 'input' on current servers
  [extra: string]: unknown;
}

/** A node's UI output as sent in `executed.output` and stored in history `outputs`. */
export type NodeOutput = Record<string, unknown>;

/** Per-node state inside a `progress_state` frame (camelCased). */
export interface NodeProgressState {
  nodeId: NodeId;
  displayNodeId?: NodeId;
  realNodeId?: NodeId;
  parentNodeId?: NodeId | null;
  state: 'running' | 'finished' | 'error' | 'pending' | string;
  value: number;
  max: number;
  activity?: string;
}

export interface JobError {
  /** The real node id (`execution_error.node_id`), not the display id. */
  nodeId?: NodeId;
  nodeType?: string;
  message: string;
  exceptionType?: string;
  traceback: string[];
}

/**
 * A decoded server frame. Wire names are kept for `type`; fields are camelCased.
 * `unknown` and `parse_error` exist so that no frame can ever throw past the decoder.
 */
export type ComfyEvent =
  | { type: 'status'; queueRemaining: number; sid?: string }
  | { type: 'execution_start'; promptId: string; timestamp?: number }
  | { type: 'execution_cached'; promptId: string; nodes: NodeId[]; timestamp?: number }
  /** `node: null` with a promptId is the canonical "prompt finished"; a bare `{node}` without promptId is the reconnect replay. */
  | { type: 'executing'; promptId?: string; node: NodeId | null; displayNode?: NodeId }
  | { type: 'progress'; promptId?: string; node?: NodeId; value: number; max: number }
  | { type: 'progress_state'; promptId: string; nodes: Record<NodeId, NodeProgressState> }
  | { type: 'executed'; promptId?: string; node: NodeId; displayNode?: NodeId; output: NodeOutput | null }
  | { type: 'execution_success'; promptId: string; timestamp?: number }
  | { type: 'execution_error'; promptId: string; error: JobError; executed?: NodeId[]; timestamp?: number }
  | {
      type: 'execution_interrupted';
      promptId: string;
      nodeId?: NodeId;
      nodeType?: string;
      executed?: NodeId[];
      timestamp?: number;
    }
  | { type: 'feature_flags'; flags: Record<string, unknown> }
  /** Binary type 1 (no ids) or type 4 (ids from metadata). */
  | {
      type: 'preview';
      promptId?: string;
      nodeId?: NodeId;
      displayNodeId?: NodeId;
      mime: string;
      bytes: Uint8Array;
    }
  /** Binary type 3; broadcast, and carries no prompt id in core ComfyUI. */
  | { type: 'progress_text'; nodeId: NodeId; text: string }
  | { type: 'unknown'; rawType: string; data: unknown }
  | { type: 'parse_error'; reason: string; sample?: string };

export type ComfyEventType = ComfyEvent['type'];

export type JobStatus = 'pending' | 'running' | 'success' | 'error' | 'interrupted' | 'cancelled' | 'lost';

export const TERMINAL_STATUSES: readonly JobStatus[] = [
  'success',
  'error',
  'interrupted',
  'cancelled',
  'lost',
];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export interface NodeRun {
  nodeId: NodeId;
  displayNodeId?: NodeId;
  /** Known when the prompt is known (we submitted it, or reconciliation fetched it). */
  classType?: string;
  state: 'running' | 'finished' | 'cached' | 'error';
  cached: boolean;
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
  value?: number;
  max?: number;
}

/** A reference to the latest preview; the bytes live outside the tracker (Blob store, object URL). */
export interface PreviewRef {
  nodeId?: NodeId;
  mime: string;
  /** Increments on every preview of this job, so consumers can tell a new frame from an old one. */
  seq: number;
  receivedAt: number;
}

export interface JobState {
  promptId: string;
  status: JobStatus;
  /**
   * True when this client submitted the prompt with its own clientId and therefore receives the full
   * event stream; false for jobs seen through broadcasts or reconciliation only.
   */
  own: boolean;
  clientId?: string;
  /** Queue priority number from `/prompt` or `/queue`. */
  number?: number;
  queuedAt?: number;
  startedAt?: number;
  endedAt?: number;
  updatedAt: number;
  /** The node executing now (display id when known); null when none. */
  currentNode: NodeId | null;
  /** Overall progress in [0, 1]. */
  progress: number;
  nodes: Record<NodeId, NodeRun>;
  /** class_type per node, from the prompt when known. */
  classTypes: Record<NodeId, string>;
  outputs: Record<NodeId, NodeOutput>;
  error?: JobError;
  interruptedAt?: { nodeId?: NodeId; nodeType?: string };
  preview?: PreviewRef;
  previewCount: number;
  /**
   * Set when the stream suggests the job ended but told us no outcome (the queue drained, `executing
   * {node:null}` came without a terminal event, or another prompt started running): the reconciler
   * should fetch it over HTTP. Cleared by a terminal event or a snapshot.
   */
  awaitingReconciliation?: boolean;
}

/** Events the tracker accepts that do not come off the wire. */
export type LocalEvent =
  /** We (or the caller) know a prompt was queued: after a 200 from `/prompt`, or on discovery in `/queue`. */
  | {
      type: 'local:queued';
      promptId: string;
      own: boolean;
      clientId?: string;
      number?: number;
      prompt?: ApiPrompt;
    }
  /** A reconciliation result: the server's HTTP view of one job. Idempotent. */
  | {
      type: 'local:snapshot';
      promptId: string;
      status: JobStatus;
      number?: number;
      prompt?: ApiPrompt;
      outputs?: Record<NodeId, NodeOutput>;
      error?: JobError;
      startedAt?: number;
      endedAt?: number;
      interruptedAt?: { nodeId?: NodeId; nodeType?: string };
    }
  /** The caller deleted a pending prompt with `POST /queue {delete}`. */
  | { type: 'local:cancelled'; promptId: string };

export type TrackerEvent = ComfyEvent | LocalEvent;

/** Connection states, shared with the UI contract (`data-state` of the connection badge). */
export type ConnectionState =
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'offline'
  | 'rejected'
  | 'auth-required';

/** Injected time source; tests pass fake timers. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Injected randomness in [0, 1); tests pass a seeded or fixed source. */
export type Random = () => number;

/**
 * An event-handler slot that accepts handlers declared for a richer event type. Browsers type `onclose`
 * as taking a DOM `CloseEvent`, `ws` as taking its own `CloseEvent`; both carry at least the fields
 * named here. Handler slots are compared bivariantly (method syntax), so both classes are assignable
 * without a cast, while what this core reads from an event stays checked.
 */
type EventSlot<E> = { handle(event: E): void }['handle'] | null;

/** The subset of the WHATWG WebSocket this core needs; the DOM's and `ws`'s both satisfy it. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: EventSlot<unknown>;
  onclose: EventSlot<{ code: number; reason: string; wasClean?: boolean }>;
  onerror: EventSlot<unknown>;
  onmessage: EventSlot<{ data: unknown }>;
}

/** The DOM's `WebSocket`, the default export of the `ws` package, or any class shaped like them. */
export type WebSocketCtor = new (url: string) => WebSocketLike;

export type FetchLike = typeof fetch;

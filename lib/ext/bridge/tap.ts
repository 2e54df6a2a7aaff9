/**
 * The passive tap of the ComfyUI tab (runs in the page's MAIN world). The server routes a prompt's
 * events only to the socket of the client that queued it (comfyui-protocol.md §1.2), so jobs queued from the
 * ComfyUI tab reach the extension's own socket only as `status` broadcasts. The tab's frontend receives
 * them all and re-dispatches each on `window.app.api` with the frame's `data` as `detail`; this listens
 * there (it never wraps, replaces or sends on the page's socket) and relays those frames to the extension
 * through `window.postMessage`, batched per `flushMs`.
 *
 * Only event types whose `detail` is the wire `data` are relayed; `executing` is not (the frontend
 * reduces it to a node id without the prompt id), and progress_state carries the node states instead.
 *
 * It also relays, at once and unbatched, the frontend's `reconnected` event: the tab's own socket (which
 * retries every 300 ms) reopened, so the server is back, and the extension's socket may dial now rather
 * than at the end of its backoff wait.
 *
 * And the name of the workflow each prompt the tab queues came from (`WORKFLOW_FRAME`). The frontend queues
 * the active workflow tab's graph and then dispatches `promptQueued` on `app.api`; the open workflow is
 * `app.extensionManager.workflow.activeWorkflow` (the workspace store), whose `filename` is the name the user
 * sees, without `.json`. The tap reads it when `promptQueued` fires, which is right after the queue request
 * succeeded. Frontends whose `promptQueued` lists the new prompts' ids (`promptIds`) name them at once; for
 * the others (the detail is only `{number, batchCount, requestId}`) the names wait in order, and each prompt
 * the tab sees start that has no name yet takes the oldest: the server runs a client's prompts in the order
 * they were queued. A prompt may start before its queue request has returned (the frontend's own execution
 * store allows for that too), and `promptQueued` fires only after a whole batch was queued: so a start with no
 * name waiting is remembered for START_GRACE_MS, and the next names go to such starts first, oldest first.
 * Names that no start claimed within NAME_TTL_MS (a prompt deleted from the queue, one queued to the front)
 * are dropped rather than given to a later prompt.
 */

export const TAP_SOURCE = 'comfypulse-tap';

export const TAPPED_TYPES = [
  'execution_start',
  'execution_cached',
  'progress',
  'progress_state',
  'executed',
  'execution_success',
  'execution_error',
  'execution_interrupted',
] as const;

/** A live preview of the tab's job, as `{prompt_id, node_id?, display_node_id?, mime, image: base64}`. */
export const PREVIEW_FRAME = 'preview';

/** `{prompt_id, name}`: the workflow a prompt queued from this tab came from. */
export const WORKFLOW_FRAME = 'workflow';

/** Longest workflow name relayed (the engine caps it again). */
export const WORKFLOW_NAME_MAX = 200;

/** Unclaimed names (frontends without `promptIds`) older than this are dropped, and at most this many wait. */
export const NAME_TTL_MS = 10 * 60_000;
const MAX_PENDING_NAMES = 64;
/** How long a prompt that started before any name waited for it may still take the next one. */
export const START_GRACE_MS = 10_000;

/** Larger previews are not relayed (SaveImageWebsocket sends full-size images as previews). */
export const TAP_PREVIEW_MAX_BYTES = 2 * 1024 * 1024;

export interface TapFrame {
  type: string;
  data: unknown;
}

export type TapMessage =
  | { source: typeof TAP_SOURCE; frames: TapFrame[] }
  | { source: typeof TAP_SOURCE; reconnected: true };

/** Base64 without spreading a large array into one call. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

interface ApiLike {
  addEventListener(type: string, cb: (e: Event) => void): void;
}

/** The part of the frontend's workspace store the tap reads (`app.extensionManager`). */
interface WorkspaceLike {
  workflow?: { activeWorkflow?: { filename?: unknown } | null };
}

export interface TapWindow {
  app?: { api?: ApiLike; extensionManager?: WorkspaceLike };
  postMessage(message: unknown, targetOrigin: string): void;
  location: { origin: string };
  setTimeout(fn: () => void, ms: number): unknown;
}

/** Waits (up to `waitMs`) for the ComfyUI frontend's api object, then relays its job events. */
export function attachTap(
  win: TapWindow,
  opts: { flushMs?: number; waitMs?: number; pollMs?: number; now?: () => number } = {},
): void {
  const now = opts.now ?? Date.now;
  const flushMs = opts.flushMs ?? 30;
  const pollMs = opts.pollMs ?? 250;
  let waited = 0;
  let queue: TapFrame[] = [];
  /** Only the newest preview is worth sending; older ones are dropped before they cost a message. */
  let preview: TapFrame | null = null;
  let previewSeq = 0;
  let scheduled = false;

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    win.setTimeout(flush, flushMs);
  };

  const flush = () => {
    scheduled = false;
    if (preview) queue.push(preview);
    preview = null;
    if (queue.length === 0) return;
    const message: TapMessage = { source: TAP_SOURCE, frames: queue };
    queue = [];
    // same-window delivery only: the isolated content script of this very page
    win.postMessage(message, win.location.origin);
  };

  /** Names of prompts queued here whose ids are not known yet, oldest first (see the module comment). */
  let pendingNames: { name: string; at: number }[] = [];
  /** Prompts this tab saw start while no name waited, oldest first. */
  let unnamedStarts: { promptId: string; at: number }[] = [];
  const named = new Set<string>();
  const relayName = (promptId: string, name: string) => {
    if (named.has(promptId)) return;
    named.add(promptId);
    if (named.size > 4 * MAX_PENDING_NAMES) named.delete(named.values().next().value as string);
    queue.push({ type: WORKFLOW_FRAME, data: { prompt_id: promptId, name } });
    schedule();
  };
  const activeWorkflowName = (): string | undefined => {
    const name = str(win.app?.extensionManager?.workflow?.activeWorkflow?.filename)?.trim();
    return name ? name.slice(0, WORKFLOW_NAME_MAX) : undefined;
  };

  const listen = (api: ApiLike) => {
    api.addEventListener('promptQueued', (e: Event) => {
      const d = (e as CustomEvent).detail as Record<string, unknown> | null;
      const name = activeWorkflowName();
      if (!name) return;
      const ids = Array.isArray(d?.promptIds)
        ? d.promptIds.filter((id) => typeof id === 'string')
        : undefined;
      if (ids) {
        for (const id of ids) relayName(id, name);
        return;
      }
      const count =
        typeof d?.batchCount === 'number' ? Math.min(Math.max(1, d.batchCount), MAX_PENDING_NAMES) : 1;
      unnamedStarts = unnamedStarts.filter((u) => now() - u.at <= START_GRACE_MS && !named.has(u.promptId));
      for (let i = 0; i < count; i++) {
        const started = unnamedStarts.shift();
        if (started) relayName(started.promptId, name);
        else pendingNames.push({ name, at: now() });
      }
      pendingNames = pendingNames.slice(-MAX_PENDING_NAMES);
    });
    api.addEventListener('execution_start', (e: Event) => {
      const promptId = str(((e as CustomEvent).detail as Record<string, unknown> | null)?.prompt_id);
      if (!promptId || named.has(promptId)) return;
      pendingNames = pendingNames.filter((p) => now() - p.at <= NAME_TTL_MS);
      const next = pendingNames.shift();
      if (next) relayName(promptId, next.name);
      else unnamedStarts = [...unnamedStarts, { promptId, at: now() }].slice(-MAX_PENDING_NAMES);
    });
    api.addEventListener('reconnected', () => {
      const message: TapMessage = { source: TAP_SOURCE, reconnected: true };
      win.postMessage(message, win.location.origin);
    });
    for (const type of TAPPED_TYPES) {
      api.addEventListener(type, (e: Event) => {
        const data = (e as CustomEvent).detail;
        // a detail that is not a plain object is not a wire frame (older frontends pass other shapes)
        if (typeof data !== 'object' || data === null || Array.isArray(data)) return;
        queue.push({ type, data: JSON.parse(JSON.stringify(data)) });
        schedule();
      });
    }
    api.addEventListener('b_preview_with_metadata', (e: Event) => {
      const d = (e as CustomEvent).detail as Record<string, unknown> | null;
      const blob = d?.blob;
      // the frontend called the prompt id `promptId` in late 2025 and `jobId` since
      const promptId = str(d?.promptId) ?? str(d?.jobId);
      if (!(blob instanceof Blob) || !promptId || blob.size > TAP_PREVIEW_MAX_BYTES) return;
      const seq = ++previewSeq;
      void blob.arrayBuffer().then((buf) => {
        if (seq !== previewSeq) return;
        preview = {
          type: PREVIEW_FRAME,
          data: {
            prompt_id: promptId,
            node_id: str(d?.nodeId),
            display_node_id: str(d?.displayNodeId),
            mime: blob.type || 'image/jpeg',
            image: toBase64(new Uint8Array(buf)),
          },
        };
        schedule();
      });
    });
  };

  const probe = () => {
    const api = win.app?.api;
    if (api && typeof api.addEventListener === 'function') {
      listen(api);
      return;
    }
    waited += pollMs;
    if (waited <= (opts.waitMs ?? 30_000)) win.setTimeout(probe, pollMs);
  };
  probe();
}

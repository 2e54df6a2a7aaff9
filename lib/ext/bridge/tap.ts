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

export interface TapWindow {
  app?: { api?: ApiLike };
  postMessage(message: unknown, targetOrigin: string): void;
  location: { origin: string };
  setTimeout(fn: () => void, ms: number): unknown;
}

/** Waits (up to `waitMs`) for the ComfyUI frontend's api object, then relays its job events. */
export function attachTap(
  win: TapWindow,
  opts: { flushMs?: number; waitMs?: number; pollMs?: number } = {},
): void {
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

  const listen = (api: ApiLike) => {
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

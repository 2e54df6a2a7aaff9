/**
 * The passive tap of the ComfyUI tab (runs in the page's MAIN world). The server routes a prompt's
 * events only to the socket of the client that queued it (protocol §1.2), so jobs queued from the
 * ComfyUI tab reach the extension's own socket only as `status` broadcasts. The tab's frontend receives
 * them all and re-dispatches each on `window.app.api` with the frame's `data` as `detail`; this listens
 * there (it never wraps, replaces or sends on the page's socket) and relays those frames to the extension
 * through `window.postMessage`, batched per `flushMs`.
 *
 * Only event types whose `detail` is the wire `data` are relayed; `executing` is not (the frontend
 * reduces it to a node id without the prompt id), and progress_state carries the node states instead.
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

export interface TapMessage {
  source: typeof TAP_SOURCE;
  frames: { type: string; data: unknown }[];
}

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
  let queue: TapMessage['frames'] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    if (queue.length === 0) return;
    const message: TapMessage = { source: TAP_SOURCE, frames: queue };
    queue = [];
    // same-window delivery only: the isolated content script of this very page
    win.postMessage(message, win.location.origin);
  };

  const listen = (api: ApiLike) => {
    for (const type of TAPPED_TYPES) {
      api.addEventListener(type, (e: Event) => {
        const data = (e as CustomEvent).detail;
        // a detail that is not a plain object is not a wire frame (older frontends pass other shapes)
        if (typeof data !== 'object' || data === null || Array.isArray(data)) return;
        queue.push({ type, data: JSON.parse(JSON.stringify(data)) });
        if (!scheduled) {
          scheduled = true;
          win.setTimeout(flush, flushMs);
        }
      });
    }
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

/**
 * The offscreen document that hosts the engine. Chrome allows one per extension; creating a second
 * throws, and two callers can race between "is there one?" and "create". Callers share one in-flight
 * creation, and the "only one" error counts as success.
 */
export const OFFSCREEN_PATH = 'offscreen.html';

export interface OffscreenApi {
  createDocument(params: { url: string; reasons: string[]; justification: string }): Promise<void>;
  hasDocument?(): Promise<boolean>;
}

export interface RuntimeContextsApi {
  getContexts?(filter: { contextTypes: string[]; documentUrls?: string[] }): Promise<unknown[]>;
}

let creating: Promise<void> | null = null;

async function exists(offscreen: OffscreenApi, runtime: RuntimeContextsApi, url: string): Promise<boolean> {
  if (runtime.getContexts) {
    const found = await runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'], documentUrls: [url] });
    return found.length > 0;
  }
  return (await offscreen.hasDocument?.()) ?? false;
}

export async function ensureOffscreen(
  offscreen: OffscreenApi,
  runtime: RuntimeContextsApi,
  url: string,
): Promise<boolean> {
  if (await exists(offscreen, runtime, url)) return false;
  if (!creating) {
    creating = offscreen
      .createDocument({
        url,
        // The engine holds WebSockets to ComfyUI: a socket opened by the service worker cannot get its
        // Origin rewritten by declarativeNetRequest, one opened by a document can (comfyui-protocol.md §12).
        reasons: ['WORKERS'],
        justification: 'Keeps the live connections to the user\u2019s ComfyUI servers.',
      })
      .catch((e: unknown) => {
        if (!/single offscreen|only one|already/i.test(String(e instanceof Error ? e.message : e))) throw e;
      })
      .finally(() => {
        creating = null;
      });
  }
  await creating;
  return true;
}

/**
 * Whether the tab bridge runs in a page: the probe gives the page a stand-in `window.app.api` (what the
 * tap attaches to) and records what the tap posts to the page's own window. Both functions run inside
 * the page (Playwright `addInitScript`/`evaluate`, puppeteer `evaluateOnNewDocument`/`evaluate`), so they
 * use nothing from this module's scope. Shared by the Chromium and the Firefox specs.
 */

/** Runs before the page's scripts: the stand-in api, and a record of the tap's posts. */
export function installTapProbe(): void {
  const seen: unknown[] = [];
  window.addEventListener('message', (e) => {
    const data = e.data as { source?: unknown } | null;
    if (e.source === window && data?.source === 'comfypulse-tap') seen.push(data);
  });
  Object.assign(window, { app: { api: new EventTarget() }, __tapSeen: seen });
}

/**
 * Fires a `progress` event on the stand-in api every 100 ms for up to `ms`; true as soon as the tap
 * relayed one (the bridge runs in this page), false when nothing came (no script of ours is here).
 */
export async function tapRelays(ms: number): Promise<boolean> {
  const w = window as unknown as { app: { api: EventTarget }; __tapSeen: unknown[] };
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    w.app.api.dispatchEvent(
      new CustomEvent('progress', { detail: { value: 1, max: 2, prompt_id: 'probe', node: '1' } }),
    );
    await new Promise((r) => setTimeout(r, 100));
    if (w.__tapSeen.length > 0) return true;
  }
  return false;
}

/**
 * Reconnect through back-to-back ComfyUI restarts (issue 7 §1), with a ComfyUI tab open: the side panel
 * shows "connected" again within 300 ms of the server answering, every round, however the restarts bunch.
 *
 * The "ComfyUI tab" is a page on the simulator's origin running a stand-in for the official frontend's
 * socket (`api.ts`): its own clientId, a new socket 300 ms after every close, forever, and the local
 * `reconnected` event on `app.api` when a socket opens again. The extension's tap hears that event and
 * the engine dials the tab's server at once; its own HTTP probes (every 0.5 s early in an outage) are the
 * fallback when no tab is open.
 *
 * How "after the server answers" is measured: `sim.restart()` resolves in the simulator's `listen`
 * callback, the first moment a connection can succeed; the test takes `Date.now()` right then. The side
 * panel stamps `Date.now()` (the same system clock) in a MutationObserver when its connection badge turns
 * `connected`. The difference is the figure, per round. On a shared 2-core machine one round can lose a
 * few hundred ms to scheduling (Chromium, the simulator and Playwright compete for the cores), so the
 * target is asserted on the median of the rounds, and every single round must still be back within
 * 1.5 s, far below any backoff wait (the old backoff needed 2.8-11.5 s from round 2 on).
 */
import { expect, test } from './fixtures';

const ROUNDS = 4;
const UP_BETWEEN_MS = 2000;
const TARGET_MEDIAN_MS = 300;
const WORST_ROUND_MS = 1500;

declare global {
  interface Window {
    __badge?: { at: number; state: string }[];
    __tabReconnects?: number[];
  }
}

/** The official frontend's reconnect policy (comfyui-protocol.md §9): 300 ms after every close, forever. */
function comfyTabStandIn(): void {
  const clientId = `tab${Math.random().toString(16).slice(2)}`;
  const api = new EventTarget();
  window.__tabReconnects = [];
  let opened = false;
  const connect = () => {
    const ws = new WebSocket(`ws://${location.host}/ws?clientId=${clientId}`);
    ws.onopen = () => {
      if (opened) {
        window.__tabReconnects!.push(Date.now());
        api.dispatchEvent(new CustomEvent('reconnected'));
      }
      opened = true;
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      const msg = JSON.parse(ev.data) as { type: string; data: unknown };
      api.dispatchEvent(new CustomEvent(msg.type, { detail: msg.data }));
    };
    ws.onclose = () => {
      if (opened) api.dispatchEvent(new CustomEvent('reconnecting'));
      setTimeout(connect, 300);
    };
  };
  connect();
  Object.assign(window, { app: { api } });
}

/** Records every state the side panel's connection badge takes, with the time it took it. */
function recordBadge(): void {
  window.__badge = [];
  const look = () => {
    const s = document.querySelector('[data-testid="connection-status"]')?.getAttribute('data-state');
    if (s && window.__badge!.at(-1)?.state !== s) window.__badge!.push({ at: Date.now(), state: s });
  };
  new MutationObserver(look).observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ['data-state'],
  });
  look();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

test('back-to-back ComfyUI restarts with a ComfyUI tab open: the side panel is connected again within 300 ms of the server', async ({
  sim,
  context,
  extension,
}) => {
  test.setTimeout(120_000);
  const panel = await context.newPage();
  await panel.addInitScript(recordBadge);
  await panel.goto(`chrome-extension://${extension.extensionId}/sidepanel.html`);
  await expect(panel.locator('[data-testid="connection-status"]').first()).toHaveAttribute(
    'data-state',
    'connected',
  );

  const tab = await context.newPage();
  await tab.addInitScript(comfyTabStandIn);
  await tab.goto(`${sim.url}/`);
  // the tap attaches once the page's app.api exists; give it its first poll
  await tab.waitForFunction(() => Boolean((window as { app?: unknown }).app));
  await tab.waitForTimeout(500);

  const backMs: number[] = [];
  const tabBackMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const downMs = 5000 + Math.round(Math.random() * 1000);
    const restarting = sim.restart({ downMs });
    await expect
      .poll(() => panel.evaluate(() => window.__badge!.at(-1)!.state), { timeout: 5_000 })
      .not.toBe('connected');
    await restarting;
    const upAt = Date.now();
    await expect
      .poll(() => panel.evaluate(() => window.__badge!.at(-1)!.state), { timeout: 20_000, intervals: [50] })
      .toBe('connected');
    const connectedAt = await panel.evaluate(
      (t) => window.__badge!.find((b) => b.at >= t && b.state === 'connected')!.at,
      upAt,
    );
    // the tab's own socket may come back after the engine did (the engine's HTTP probe can win)
    await expect
      .poll(() => tab.evaluate((t) => window.__tabReconnects!.some((x) => x >= t), upAt), { timeout: 5_000 })
      .toBe(true);
    const tabAt = await tab.evaluate((t) => window.__tabReconnects!.find((x) => x >= t)!, upAt);
    backMs.push(connectedAt - upAt);
    tabBackMs.push(tabAt - upAt);
    await panel.waitForTimeout(UP_BETWEEN_MS);
  }

  test.info().annotations.push({
    type: 'back after the server answered (ms per round)',
    description: `side panel connected: ${backMs.join(', ')}; the tab's own socket: ${tabBackMs.join(', ')}; median ${median(backMs)}`,
  });
  expect(median(backMs), `per round: ${backMs.join(', ')} ms`).toBeLessThanOrEqual(TARGET_MEDIAN_MS);
  expect(Math.max(...backMs), `per round: ${backMs.join(', ')} ms`).toBeLessThanOrEqual(WORST_ROUND_MS);
});

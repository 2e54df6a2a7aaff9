/**
 * The tab bridge (design §1.2): a job queued from the ComfyUI tab sends its per-step events only to the
 * tab's own socket. The extension's content script taps the tab's frontend (`window.app.api` events) and
 * relays them, so the side panel shows that job's live progress, not just its start and end.
 *
 * The "ComfyUI tab" here is a page on the simulator's origin running a minimal stand-in for the frontend:
 * its own socket with its own clientId, re-dispatching each frame on `app.api` as the real frontend does.
 */
import { expect, test } from './fixtures';
import { expectProgressRose } from './support/live';

test('a job queued from the ComfyUI tab shows live progress through the tab bridge', async ({
  sim,
  comfy,
  context,
  openSidePanel,
}) => {
  const panel = await openSidePanel();
  await panel.expectConnection('connected');
  await panel.startRecording();

  const tab = await context.newPage();
  await tab.addInitScript(() => {
    const clientId = `tab${Math.random().toString(16).slice(2)}`;
    const api = new EventTarget();
    const ws = new WebSocket(`ws://${location.host}/ws?clientId=${clientId}`);
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      const msg = JSON.parse(ev.data) as { type: string; data: unknown };
      api.dispatchEvent(new CustomEvent(msg.type, { detail: msg.data }));
    };
    Object.assign(window, { app: { api }, __tabClientId: clientId, __tabSocket: ws });
  });
  await tab.goto(`${sim.url}/`);
  await tab.waitForFunction(() => (window as { __tabSocket?: WebSocket }).__tabSocket?.readyState === 1);
  const clientId = await tab.evaluate(() => (window as { __tabClientId?: string }).__tabClientId as string);

  const id = await comfy.post('ok', { clientId, steps: 12, delayMs: 250 });

  await panel.expectStatus(id, 'success', 30_000);
  const rec = await panel.readRecord(id);
  expect(rec.statuses).toContain('running');
  expectProgressRose(rec);
});

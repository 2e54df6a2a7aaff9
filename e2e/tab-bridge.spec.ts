/**
 * The tab bridge (design.md §1.2): a job queued from the ComfyUI tab sends its per-step events only to the
 * tab's own socket. The extension's content script taps the tab's frontend (`window.app.api` events) and
 * relays them, so the side panel shows that job's live progress, not just its start and end.
 *
 * The "ComfyUI tab" here is a page on the simulator's origin running a minimal stand-in for the frontend:
 * its own socket with its own clientId, re-dispatching each frame on `app.api` as the real frontend does.
 */
import { test } from './fixtures';
import { installFrontendStandIn, standInClientId, standInConnected } from './support/frontend-stand-in';
import { postFromTabAndWatchItLive } from './support/scenarios';

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
  await tab.addInitScript(installFrontendStandIn);
  await tab.goto(`${sim.url}/`);
  await tab.waitForFunction(standInConnected);
  const clientId = await tab.evaluate(standInClientId);

  await postFromTabAndWatchItLive(panel, comfy, clientId);
});

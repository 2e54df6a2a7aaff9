/**
 * The tab bridge in Firefox: a job queued from the ComfyUI tab sends its per-step events only to the tab's
 * own socket; the extension's content scripts (one of them in the page's own world) tap the frontend's
 * `app.api` events and relay them, so the side panel shows that job's live progress.
 */
import { installFrontendStandIn, standInClientId, standInConnected } from '../e2e/support/frontend-stand-in';
import { postFromTabAndWatchItLive } from '../e2e/support/scenarios';
import { test } from './fixtures';
import { waitFor } from './support/firefox';

test('a job queued from the ComfyUI tab shows live progress through the tab bridge', async ({
  sim,
  comfy,
  firefox,
  openView,
}) => {
  const panel = await openView('sidepanel.html');
  await panel.expectConnection('connected');
  await panel.startRecording();

  const tab = await firefox.browser.newPage();
  await tab.evaluateOnNewDocument(installFrontendStandIn);
  await tab.goto(`${sim.url}/`);
  await waitFor('the ComfyUI tab socket', async () =>
    (await tab.evaluate(standInConnected)) ? true : undefined,
  );
  const clientId = await tab.evaluate(standInClientId);

  await postFromTabAndWatchItLive(panel, comfy, clientId);
});

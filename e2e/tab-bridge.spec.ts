/**
 * The tab bridge (design.md §1.2): a job queued from the ComfyUI tab sends its per-step events only to the
 * tab's own socket. The extension's content script taps the tab's frontend (`window.app.api` events) and
 * relays them, so the side panel shows that job's live progress, not just its start and end.
 *
 * The "ComfyUI tab" here is a page on the simulator's origin running a minimal stand-in for the frontend:
 * its own socket with its own clientId, re-dispatching each frame on `app.api` as the real frontend does,
 * and queueing the open workflow as the frontend's Queue button does (so the tap can name the job).
 */
import type { BrowserContext, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { customise, loadWorkflow } from './support/comfy';
import {
  installFrontendStandIn,
  standInClientId,
  standInConnected,
  standInOpenWorkflow,
  standInQueue,
} from './support/frontend-stand-in';
import { postFromTabAndWatchItLive } from './support/scenarios';

/** A page on the server's origin running the frontend stand-in, its socket open. */
async function openComfyTab(context: BrowserContext, url: string): Promise<Page> {
  const tab = await context.newPage();
  await tab.addInitScript(installFrontendStandIn);
  await tab.goto(`${url}/`);
  await tab.waitForFunction(standInConnected);
  return tab;
}

test('a job queued from the ComfyUI tab shows live progress through the tab bridge', async ({
  sim,
  comfy,
  context,
  openSidePanel,
}) => {
  const panel = await openSidePanel();
  await panel.expectConnection('connected');
  await panel.startRecording();

  const tab = await openComfyTab(context, sim.url);
  const clientId = await tab.evaluate(standInClientId);

  await postFromTabAndWatchItLive(panel, comfy, clientId);
});

test('a job the ComfyUI tab queues carries its workflow name, relayed by the tap, into the history', async ({
  sim,
  context,
  openSidePanel,
}) => {
  const panel = await openSidePanel();
  await panel.expectConnection('connected');

  const tab = await openComfyTab(context, sim.url);
  // remote text: markup in a name must show as text
  const name = 'Portraits <b>v2</b>';
  await tab.evaluate(standInOpenWorkflow, name);
  const id = await tab.evaluate(standInQueue, customise(loadWorkflow('ok'), { steps: 6, delayMs: 150 }));

  await panel.expectStatus(id, 'success', 30_000);
  const title = panel.page.locator(
    `[data-testid="history-row"][data-prompt-id="${id}"] [data-testid="history-title"]`,
  );
  await expect(title).toHaveText(name);
  await expect(title.locator('b')).toHaveCount(0);
});

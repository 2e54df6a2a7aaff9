/**
 * History lives in the extension's IndexedDB, not in the server: ComfyUI keeps its history in memory, so
 * after both the browser and the server restart, only the extension remembers.
 */

import { test } from './fixtures';
import { SidePanelPage } from './pages/sidepanel';

test('closing the browser and starting it again with the same profile keeps the history', async ({
  sim,
  comfy,
  extension,
  launch,
  userDataDir,
}) => {
  const first = new SidePanelPage(await extension.openPage(SidePanelPage.path));
  await first.expectConnection('connected');
  const ok = await comfy.post('ok', { steps: 4, delayMs: 100 });
  const failed = await comfy.post('fail', {});
  await first.expectStatus(ok, 'success');
  await first.expectStatus(failed, 'error');
  await extension.close();

  // A restarted server has an empty history; what the side panel shows now can only come from the profile.
  await sim.restart({ downMs: 200 });
  const again = await launch({ userDataDir });
  const panel = new SidePanelPage(await again.openPage(SidePanelPage.path));
  await panel.expectConnection('connected');
  await panel.expectStatus(ok, 'success', 15_000);
  await panel.expectStatus(failed, 'error', 15_000);
});

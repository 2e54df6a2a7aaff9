/** Three browser profiles on one server, each with its own clientId, all see every job. */

import { test } from './fixtures';
import { SidePanelPage } from './pages/sidepanel';

test('three browser profiles at once on the same server all see the same jobs', async ({
  comfy,
  extension,
  launch,
}) => {
  const browsers = [extension, await launch(), await launch()];
  const panels = await Promise.all(
    browsers.map(async (b) => new SidePanelPage(await b.openPage(SidePanelPage.path))),
  );
  for (const p of panels) await p.expectConnection('connected');

  const other = await comfy.connectClient();
  try {
    const ok = await comfy.post('ok', { steps: 8, delayMs: 250 });
    const failed = await comfy.post('fail', {});
    const fromTab = await other.post('ok', { steps: 4, delayMs: 100 });

    for (const [i, p] of panels.entries()) {
      await test.step(`profile ${i + 1}`, async () => {
        await p.expectStatus(ok, 'success', 40_000);
        await p.expectStatus(failed, 'error', 20_000);
        await p.expectStatus(fromTab, 'success', 20_000);
      });
    }
  } finally {
    other.close();
  }
});

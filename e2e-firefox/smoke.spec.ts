/** The Firefox build installs, its pages open cleanly, and its side panel is Firefox's sidebar. */
import type { Browser } from '@wxt-dev/browser';
import { expect, test } from './fixtures';

declare const browser: typeof Browser & { sidebarAction: { isOpen(d: object): Promise<boolean> } };

test('the manifest is MV2 with a persistent background page, optional host permissions and a sidebar', async ({
  openView,
}) => {
  const { page } = await openView('popup.html');
  const m = (await page.evaluate(() => browser.runtime.getManifest())) as Record<string, unknown>;
  expect(m.manifest_version).toBe(2);
  // the engine's sockets live in the background page, which must never be unloaded
  expect(m.background).toMatchObject({
    persistent: true,
    scripts: [expect.stringMatching(/\/background\.js$/)],
  });
  expect(m.optional_permissions).toEqual(['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*']);
  expect(m.sidebar_action).toMatchObject({
    default_panel: expect.stringMatching(/\/sidepanel\.html$/),
    open_at_install: false,
  });
  expect(m).not.toHaveProperty('key');
});

test('the popup, side panel and options page open without errors', async ({ firefox }) => {
  for (const path of ['popup.html', 'sidepanel.html', 'options.html']) {
    const page = await firefox.openPage(path);
    await expect
      .poll(() => page.evaluate(() => document.body.textContent?.trim().length ?? 0), { message: path })
      .toBeGreaterThan(0);
  }
  // Uncaught errors of extension documents reach Firefox's stdout (devtools.console.stdout.content),
  // those thrown while a page loaded included.
  await new Promise((r) => setTimeout(r, 1_000));
  expect(firefox.logs.filter((l) => /JavaScript error: moz-extension:/.test(l))).toEqual([]);
});

test("the popup's side-panel button opens Firefox's sidebar", async ({ openView }) => {
  const popup = await openView('popup.html');
  expect(await popup.page.evaluate(() => browser.sidebarAction.isOpen({}))).toBe(false);
  await popup.page.click('[data-testid="open-sidepanel"]');
  await expect.poll(() => popup.page.evaluate(() => browser.sidebarAction.isOpen({}))).toBe(true);
});

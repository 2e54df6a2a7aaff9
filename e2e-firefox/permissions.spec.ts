/**
 * A server the manifest does not grant (anything but 127.0.0.1 and localhost) is an optional host
 * permission, asked for when the user saves it. Firefox MV2 takes optional host patterns only from
 * `optional_permissions`; without them the request fails with "not declared in the manifest".
 *
 * The second server is a simulator on 127.0.0.2: another loopback address (so nothing leaves the
 * machine, and ComfyUI's origin check applies to it) that no manifest pattern covers.
 */
import type { Browser } from '@wxt-dev/browser';
import { ComfyDriver } from '../e2e/support/comfy';
import { startSimulator } from '../sim';
import { expect, test } from './fixtures';
import { ADDON_UUID } from './support/firefox';

declare const browser: typeof Browser;

test('adding a server on another host asks for its http and ws permission, then connects with its own Origin rule', async ({
  openView,
}) => {
  const other = await startSimulator({ port: 0, host: '127.0.0.2', originCheck: true, secFetchGuard: true });
  try {
    const options = await openView('options.html');
    const page = options.page;
    const granted = () => page.evaluate(async () => (await browser.permissions.getAll()).origins ?? []);
    expect(await granted()).not.toContain('http://127.0.0.2/*');

    await page.click('[data-testid="server-add"]');
    const form = '[data-testid="server-form"][data-server-id=""]';
    await page.locator(`${form} [data-testid="server-name"]`).fill('GPU box');
    await page.locator(`${form} [data-testid="server-url"]`).fill(other.url);
    await page.click(`${form} [data-testid="server-save"]`);

    await expect.poll(granted).toEqual(expect.arrayContaining(['http://127.0.0.2/*', 'ws://127.0.0.2/*']));
    await expect
      .poll(() => page.evaluate(() => browser.declarativeNetRequest.getSessionRules()))
      .toContainEqual(
        expect.objectContaining({
          condition: expect.objectContaining({
            initiatorDomains: [ADDON_UUID],
            requestDomains: ['127.0.0.2'],
          }),
        }),
      );

    // Its jobs show up: its HTTP API and its socket both pass its origin check.
    const panel = await openView('sidepanel.html');
    const id = await new ComfyDriver(other.url).post('ok', { steps: 4, delayMs: 100 });
    await panel.expectStatus(id, 'success');
  } finally {
    await other.close();
  }
});

/**
 * The main path in real Firefox: against a ComfyUI with both of its guards on (the Host/Origin check and
 * the v0.19+ Sec-Fetch-Site guard), the extension connects, shows a job posted over HTTP live in the side
 * panel and the popup, then its success, its output, and a notification.
 */
import type { Browser } from '@wxt-dev/browser';
import { postJobAndWatchItLive } from '../e2e/support/scenarios';
import { expect, test } from './fixtures';
import { ADDON_UUID } from './support/firefox';

// The extension API inside an extension page; `evaluate` callbacks run there.
declare const browser: typeof Browser;

test('connects through the Origin rule, shows a job live, then its success, output and notification', async ({
  comfy,
  openView,
}) => {
  const panel = await openView('sidepanel.html');
  const popup = await openView('popup.html');
  await panel.expectConnection('connected');
  await popup.expectConnection('connected');

  // The rule that got it connected is keyed on the add-on's moz-extension host and this server only.
  const rules = await panel.page.evaluate(() => browser.declarativeNetRequest.getSessionRules());
  expect(rules.map((r) => [r.condition.initiatorDomains, r.condition.requestDomains])).toEqual([
    [[ADDON_UUID], ['127.0.0.1']],
  ]);

  const id = await postJobAndWatchItLive({ 'side panel': panel, popup }, comfy);

  await expect
    .poll(async () => Object.entries(await panel.notifications()).find(([nid]) => nid.includes(id))?.[1], {
      message: 'a notification for the finished job',
    })
    .toMatchObject({ title: 'Job finished on Local ComfyUI', message: expect.stringMatching(/^Done in /) });
});

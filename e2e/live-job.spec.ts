/**
 * The main path of issue 3: against a ComfyUI that checks the Origin (the default, started without
 * --enable-cors-header), the extension connects and shows a job posted over HTTP live in both views.
 */
import { expect, type SimOptions, test } from './fixtures';
import { postJobAndWatchItLive } from './support/scenarios';
import { notificationIds, recordedNotifications, sessionRules } from './support/sw';

const modes: { name: string; simOptions: SimOptions }[] = [
  { name: 'origin check on', simOptions: { originCheck: true } },
  {
    name: 'origin check and Sec-Fetch-Site guard on (v0.19+)',
    simOptions: { originCheck: true, secFetchGuard: true },
  },
];

for (const mode of modes) {
  test.describe(mode.name, () => {
    test.use({ simOptions: mode.simOptions });

    test('a job posted over HTTP shows live progress, previews and node, then success with thumbnail and a notification', async ({
      comfy,
      connectedViews: { panel, popup },
      serviceWorker,
      extensionId,
    }) => {
      // The Origin rewrite that got it connected touches only the extension's own requests to this server.
      const rules = await sessionRules(serviceWorker);
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) {
        expect(rule.condition.initiatorDomains).toEqual([extensionId]);
        expect(rule.condition.requestDomains).toEqual(['127.0.0.1']);
      }

      await postJobAndWatchItLive({ 'side panel': panel, popup }, comfy);

      await expect.poll(() => notificationIds(serviceWorker)).not.toHaveLength(0);
      const shown = await recordedNotifications(serviceWorker);
      expect(shown.length, 'a notification for the finished job').toBeGreaterThanOrEqual(1);
      expect(
        shown.some((n) => n.imageUrl),
        'the completion notification carries the output thumbnail',
      ).toBe(true);
    });
  });
}

import { expect, test } from './fixtures';
import { manifest, markWorker, pingFromPage, workerWasRestarted } from './support/sw';

test.describe('the built extension loads', () => {
  test('its service worker starts and reports the manifest it was built with', async ({ serviceWorker }) => {
    const m = await manifest(serviceWorker);
    expect(m.manifest_version).toBe(3);
    expect(m.background).toMatchObject({ service_worker: expect.any(String) });
  });

  for (const path of ['popup.html', 'sidepanel.html', 'options.html']) {
    test(`${path} opens without page errors`, async ({ extension }) => {
      const page = await extension.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const res = await page.goto(`chrome-extension://${extension.extensionId}/${path}`);
      expect(res?.ok()).toBe(true);
      await expect(page.locator('body')).not.toBeEmpty();
      expect(errors).toEqual([]);
    });
  }

  test('the service worker can be stopped and comes back on demand', async ({ extension }) => {
    const sw = await extension.serviceWorker();
    await markWorker(sw);
    await extension.stopServiceWorker();
    // A message from any extension page wakes the worker; a global without the marker proves a restart.
    const page = await extension.openPage('popup.html');
    await pingFromPage(page);
    await expect.poll(() => workerWasRestarted(sw), { timeout: 15_000 }).toBe(true);
  });
});

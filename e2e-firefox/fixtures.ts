/**
 * Fixtures of the Firefox suite. The simulator and the test's own ComfyUI client are the Chromium suite's
 * (`e2e/fixtures.ts`: a fresh simulator on 127.0.0.1:8188 per test); what differs is the browser: a fresh
 * Firefox ESR profile per test with the Firefox build installed as a temporary add-on.
 */
import { writeFileSync } from 'node:fs';
import { test as base, expect } from '../e2e/fixtures';
import { type FirefoxExtension, launchFirefox } from './support/firefox';
import { JobsPage } from './support/pages';

export interface FirefoxFixtures {
  firefox: FirefoxExtension;
  /** Opens an extension page in a new tab and wraps it in the job-card page object. */
  openView: (path: 'popup.html' | 'sidepanel.html' | 'options.html') => Promise<JobsPage>;
}

export const test = base.extend<FirefoxFixtures>({
  // Both of ComfyUI's guards on: the Host/Origin check, and the v0.19+ Sec-Fetch-Site guard.
  simOptions: [{ originCheck: true, secFetchGuard: true }, { option: true }],

  // The simulator starts first so that the extension's first connection attempt already finds it.
  firefox: async ({ sim: _sim }, use, testInfo) => {
    const extensionPath = process.env.COMFYPULSE_E2E_FIREFOX_EXTENSION;
    if (!extensionPath)
      throw new Error('global-setup.ts did not run (COMFYPULSE_E2E_FIREFOX_EXTENSION unset)');
    const ff = await launchFirefox({ extensionPath });
    await use(ff);
    if (testInfo.status !== testInfo.expectedStatus) {
      const log = testInfo.outputPath('firefox.log');
      writeFileSync(log, ff.logs.join('\n'));
      await testInfo.attach('firefox output', { path: log, contentType: 'text/plain' });
      for (const [i, page] of (await ff.browser.pages()).entries()) {
        const path = testInfo.outputPath(`page-${i}.png`);
        const shot = await page.screenshot({ path }).catch(() => undefined);
        if (shot) await testInfo.attach(`page-${i} ${page.url()}`, { path, contentType: 'image/png' });
      }
    }
    await ff.close();
  },

  openView: async ({ firefox }, use) => {
    await use(async (path) => new JobsPage(await firefox.openPage(path)));
  },
});

export { expect };

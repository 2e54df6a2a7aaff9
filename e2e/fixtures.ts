/**
 * Playwright fixtures for the extension's end-to-end specs.
 *
 * Every test gets a fresh ComfyUI simulator on 127.0.0.1:8188 (the extension's default server, origin check
 * on unless the test says otherwise via `test.use({ simOptions })`) and a fresh Chromium profile with the
 * built extension loaded. Specs run one at a time because they share port 8188.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, test as base, type Worker } from '@playwright/test';
import { startSimulator } from '../sim';
import { OptionsPage } from './pages/options';
import { PopupPage } from './pages/popup';
import { SidePanelPage } from './pages/sidepanel';
import { type ExtensionBrowser, launchExtension } from './support/browser';
import { ensureBuild, ROOT, snapshotBuild } from './support/build';
import { ComfyDriver } from './support/comfy';
import { recordNotifications } from './support/sw';

export const SIM_PORT = 8188;

type SimulatorOptions = Parameters<typeof startSimulator>[0];
export type SimOptions = Omit<SimulatorOptions, 'port' | 'host'>;
export type Simulator = Awaited<ReturnType<typeof startSimulator>>;

export interface Fixtures {
  /** Simulator options for this test (`test.use({ simOptions: { secFetchGuard: true } })`). */
  simOptions: SimOptions;
  sim: Simulator;
  comfy: ComfyDriver;
  /** A fresh temporary profile; pass your own to `launch` to reuse one. */
  userDataDir: string;
  /** Launches another browser with the extension (extra profiles, restarts); all are closed after the test. */
  launch: (opts?: { userDataDir?: string }) => Promise<ExtensionBrowser>;
  extension: ExtensionBrowser;
  context: BrowserContext;
  extensionId: string;
  serviceWorker: Worker;
  openPopup: (browser?: ExtensionBrowser) => Promise<PopupPage>;
  openSidePanel: (browser?: ExtensionBrowser) => Promise<SidePanelPage>;
  openOptions: (browser?: ExtensionBrowser) => Promise<OptionsPage>;
  /** The side panel and the popup, both connected, with the worker's notifications being recorded. */
  connectedViews: { panel: SidePanelPage; popup: PopupPage };
}

interface WorkerFixtures {
  extensionPath: string;
}

export const test = base.extend<Fixtures, WorkerFixtures>({
  extensionPath: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright requires the destructuring form.
    async ({}, use, workerInfo) => {
      // global-setup.ts normally builds and snapshots once per run; this path covers a run without it.
      const fromSetup = process.env.COMFYPULSE_E2E_EXTENSION;
      let path = fromSetup;
      if (!path) {
        ensureBuild();
        path = snapshotBuild(join(ROOT, `.tmp/e2e/extension-w${workerInfo.workerIndex}`));
      }
      await use(path);
    },
    { scope: 'worker' },
  ],

  simOptions: [{ originCheck: true }, { option: true }],

  sim: async ({ simOptions }, use) => {
    const sim = await startSimulator({
      originCheck: true,
      ...simOptions,
      port: SIM_PORT,
      host: '127.0.0.1',
    }).catch((err: unknown) => {
      throw new Error(
        `Cannot start the simulator on 127.0.0.1:${SIM_PORT}, the extension's default server. Is a ComfyUI or ` +
          'another e2e run using the port?',
        { cause: err },
      );
    });
    await use(sim);
    await sim.close();
  },

  comfy: async ({ sim }, use) => {
    await use(new ComfyDriver(sim.url));
  },

  // biome-ignore lint/correctness/noEmptyPattern: Playwright requires the destructuring form.
  userDataDir: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'comfypulse-profile-'));
    await use(dir);
    // Chromium may still be flushing the profile for a moment after close.
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  },

  launch: async ({ extensionPath }, use, testInfo) => {
    const launched: ExtensionBrowser[] = [];
    await use(async (opts = {}) => {
      const b = await launchExtension({ extensionPath, ...opts });
      launched.push(b);
      return b;
    });
    if (testInfo.status !== testInfo.expectedStatus) {
      for (const [n, b] of launched.entries()) {
        await testInfo.attach(`browser-${n} console`, { body: b.logs.join('\n'), contentType: 'text/plain' });
        for (const [i, page] of b.context.pages().entries()) {
          const path = testInfo.outputPath(`browser-${n}-page-${i}.png`);
          const shot = await page.screenshot({ path, timeout: 5_000 }).catch(() => undefined);
          if (shot)
            testInfo.attachments.push({ name: `${n}/${i} ${page.url()}`, path, contentType: 'image/png' });
        }
      }
    }
    await Promise.all(launched.map((b) => b.close()));
  },

  // The simulator starts first so that the extension's first connection attempt already finds it; the
  // profile is set up before `launch` so that it is removed only after every browser using it closed.
  extension: async ({ sim: _sim, userDataDir, launch }, use) => {
    await use(await launch({ userDataDir }));
  },

  context: async ({ extension }, use) => {
    await use(extension.context);
  },

  extensionId: async ({ extension }, use) => {
    await use(extension.extensionId);
  },

  serviceWorker: async ({ extension }, use) => {
    await use(await extension.serviceWorker());
  },

  openPopup: async ({ extension }, use) => {
    await use(async (b = extension) => new PopupPage(await b.openPage(PopupPage.path)));
  },

  openSidePanel: async ({ extension }, use) => {
    await use(async (b = extension) => new SidePanelPage(await b.openPage(SidePanelPage.path)));
  },

  openOptions: async ({ extension }, use) => {
    await use(async (b = extension) => new OptionsPage(await b.openPage(OptionsPage.path)));
  },

  connectedViews: async ({ openSidePanel, openPopup, serviceWorker }, use) => {
    const panel = await openSidePanel();
    const popup = await openPopup();
    await panel.expectConnection('connected');
    await popup.expectConnection('connected');
    await recordNotifications(serviceWorker);
    await use({ panel, popup });
  },
});

export { expect } from '@playwright/test';

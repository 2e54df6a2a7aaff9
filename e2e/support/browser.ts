/**
 * Launching Chromium with the extension loaded, and the service-worker controls the specs need.
 * Shared by the Playwright fixtures, the benchmarks and the demo, so all three run the browser the same way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type CDPSession, chromium, type Page, type Worker } from '@playwright/test';
import { assertChromium, CHROMIUM } from './build';

export interface LaunchOptions {
  /** Unpacked extension folder. */
  extensionPath: string;
  /** Reuse a profile (browser restart, persistence); a fresh temporary one otherwise. */
  userDataDir?: string;
  /** Headed needs a display; headless uses Chromium's new headless mode, which runs extensions. */
  headed?: boolean;
  viewport?: { width: number; height: number };
}

export interface ExtensionBrowser {
  context: BrowserContext;
  extensionId: string;
  userDataDir: string;
  /** Console lines of the extension's pages and service worker, for the failure report. */
  logs: string[];
  /** The extension's service worker; the same handle keeps working after the worker restarts. */
  serviceWorker(): Promise<Worker>;
  /** Opens an extension page (`popup.html`, `sidepanel.html`, `options.html`) in a new tab. */
  openPage(path: string): Promise<Page>;
  /** The extension's live targets (service worker, offscreen document, pages) as `type path`. */
  extensionTargets(): Promise<string[]>;
  /** Closes the extension's offscreen document(s), as Chrome may; returns how many were closed. */
  closeOffscreen(): Promise<number>;
  /** Stops every service worker of the profile, as Chrome does to an idle one (comfyui-protocol.md §12). */
  stopServiceWorker(): Promise<void>;
  /** Closes the browser; removes the profile only when this launch created it. */
  close(): Promise<void>;
}

export function chromiumArgs(extensionPath: string): string[] {
  return [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-sync',
    '--disable-default-apps',
    `--disable-extensions-except=${extensionPath}`,
    `--load-extension=${extensionPath}`,
  ];
}

async function findServiceWorker(context: BrowserContext, timeoutMs: number): Promise<Worker> {
  const existing = context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://'));
  if (existing) return existing;
  return context.waitForEvent('serviceworker', {
    timeout: timeoutMs,
    predicate: (w) => w.url().startsWith('chrome-extension://'),
  });
}

export async function launchExtension(opts: LaunchOptions): Promise<ExtensionBrowser> {
  assertChromium();
  const ownsProfile = !opts.userDataDir;
  const userDataDir = opts.userDataDir ?? mkdtempSync(join(tmpdir(), 'comfypulse-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    // On Chromium >= 132 `--headless` is the new headless mode, the only one that loads extensions.
    headless: !opts.headed,
    // Playwright's defaults include --disable-extensions, which would win over --load-extension.
    ignoreDefaultArgs: ['--disable-extensions'],
    args: chromiumArgs(opts.extensionPath),
    viewport: opts.viewport ?? { width: 420, height: 800 },
  });
  let worker: Worker;
  try {
    worker = await findServiceWorker(context, 20_000);
  } catch (err) {
    await context.close();
    throw new Error(
      `The extension's service worker never started (is ${opts.extensionPath} a valid build?)`,
      {
        cause: err,
      },
    );
  }
  const extensionId = new URL(worker.url()).host;
  const logs: string[] = [];
  const record = (where: string, type: string, text: string) => {
    if (logs.length < 2_000) logs.push(`${new Date().toISOString()} ${where} ${type}: ${text}`);
  };
  context.on('console', (m) => record(m.page()?.url() ?? 'worker', m.type(), m.text()));
  context.on('weberror', (e) => record(e.page()?.url() ?? '?', 'pageerror', String(e.error())));

  const stopServiceWorker = async () => {
    // ServiceWorker.* works from any page target of the profile; the extension's worker shares its partition.
    const page = await context.newPage();
    try {
      await page.goto(`chrome-extension://${extensionId}/manifest.json`);
      const cdp = await context.newCDPSession(page);
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      await cdp.detach();
    } finally {
      await page.close();
    }
  };

  const withBrowserCdp = async <T>(fn: (cdp: CDPSession) => Promise<T>): Promise<T> => {
    const browser = context.browser();
    if (!browser) throw new Error('no browser handle for this context');
    const cdp = await browser.newBrowserCDPSession();
    try {
      return await fn(cdp);
    } finally {
      await cdp.detach();
    }
  };
  const prefix = `chrome-extension://${extensionId}/`;
  const targets = (cdp: CDPSession) =>
    cdp
      .send('Target.getTargets')
      .then((r) =>
        (r.targetInfos as { targetId: string; type: string; url: string }[]).filter((t) =>
          t.url.startsWith(prefix),
        ),
      );
  const extensionTargets = () =>
    withBrowserCdp(async (cdp) => (await targets(cdp)).map((t) => `${t.type} ${t.url.slice(prefix.length)}`));
  const closeOffscreen = () =>
    withBrowserCdp(async (cdp) => {
      const offscreen = (await targets(cdp)).filter((t) => t.url.includes('offscreen'));
      for (const t of offscreen) await cdp.send('Target.closeTarget', { targetId: t.targetId });
      return offscreen.length;
    });

  return {
    context,
    extensionId,
    extensionTargets,
    closeOffscreen,
    userDataDir,
    logs,
    serviceWorker: async () => {
      worker = await findServiceWorker(context, 20_000);
      return worker;
    },
    openPage: async (path: string) => {
      const page = await context.newPage();
      await page.goto(`chrome-extension://${extensionId}/${path}`);
      return page;
    },
    stopServiceWorker,
    close: async () => {
      await context.close().catch(() => {});
      if (ownsProfile) rmSync(userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    },
  };
}

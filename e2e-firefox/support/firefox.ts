/**
 * Debian's Firefox ESR with the built extension installed, driven by puppeteer-core over WebDriver BiDi.
 * Playwright's Firefox is a patched build that cannot be downloaded here; a stock Firefox speaks BiDi.
 *
 * - The add-on is installed temporarily (`webExtension.install`), as `about:debugging` would.
 * - Its internal UUID is fixed with `extensions.webextensions.uuids`, so its pages have a known
 *   `moz-extension://<uuid>/` address (Firefox otherwise picks a random one per profile).
 * - `-remote-allow-system-access` lets the remote agent open and script `moz-extension://` documents.
 * - `devtools.console.stdout.content` sends the extension's console to Firefox's stdout, kept in `logs`.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { GECKO_ID } from '../../lib/ext/manifest';

export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** The add-on's internal UUID in every test profile: its pages live at `moz-extension://<this>/`. */
export const ADDON_UUID = '6b3f2a1e-7c4d-4e5f-9a8b-1c2d3e4f5a6b';
export const EXTENSION_BASE = `moz-extension://${ADDON_UUID}/`;

/** Fails with what to do; a missing browser must never read as a passing suite. */
export function assertFirefox(): void {
  if (!existsSync(FIREFOX)) {
    throw new Error(
      `Firefox not found at ${FIREFOX}. Install it with "apt-get install -y --no-install-recommends firefox-esr" ` +
        '(scripts/setup.sh does) or set FIREFOX_PATH.',
    );
  }
}

export interface FirefoxExtension {
  browser: Browser;
  /** Firefox's stdout and stderr lines, the extension's console included. */
  logs: string[];
  /** Opens an extension page (`popup.html`, `sidepanel.html`, `options.html`) in a new tab. */
  openPage(path: string): Promise<Page>;
  close(): Promise<void>;
}

const PREFS: Record<string, unknown> = {
  'extensions.webextensions.uuids': JSON.stringify({ [GECKO_ID]: ADDON_UUID }),
  'devtools.console.stdout.content': true,
  // A headless run has nobody to click the doorhanger: answer optional-permission requests with "allow".
  // The request itself still goes through Firefox's checks (declared in the manifest, user gesture).
  'extensions.webextOptionalPermissionPrompts': false,
  // Notifications as Firefox's own alert windows: a headless machine has no desktop notification service.
  'alerts.useSystemBackend': false,
  // No first-run pages, updates or telemetry competing for the two cores.
  'browser.shell.checkDefaultBrowser': false,
  'app.update.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
};

/** Polls until `fn` returns a value other than undefined, or throws the last reason after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`, { cause: last });
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function launchFirefox(opts: { extensionPath: string }): Promise<FirefoxExtension> {
  assertFirefox();
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    args: ['-remote-allow-system-access'],
    extraPrefsFirefox: PREFS,
    defaultViewport: { width: 420, height: 800 },
  });
  const logs: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() && logs.length < 5_000) logs.push(`${new Date().toISOString()} ${line}`);
    }
  };
  browser.process()?.stdout?.on('data', keep);
  browser.process()?.stderr?.on('data', keep);
  try {
    const id = await browser.installExtension(opts.extensionPath);
    if (id !== GECKO_ID) throw new Error(`installed add-on id ${id}, expected ${GECKO_ID}`);
  } catch (err) {
    await browser.close();
    throw new Error(`Firefox refused to install the extension from ${opts.extensionPath}`, { cause: err });
  }

  return {
    browser,
    logs,
    async openPage(path) {
      const page = await browser.newPage();
      const url = `${EXTENSION_BASE}${path}`;
      // The navigation of a moz-extension page may never report its end over BiDi: start it, then
      // watch the document itself.
      void page.goto(url).catch(() => undefined);
      await waitFor(`${url} to load`, () =>
        page
          .evaluate(() => (document.readyState === 'complete' ? location.href : undefined))
          .then((href) => (href === url ? true : undefined)),
      );
      return page;
    },
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}

/**
 * The extension's boundaries in Firefox (issue 8), where two things differ from Chrome: the tab bridge is
 * registered with `contentScripts.register` and narrowed to the server's port by `includeGlobs` (Firefox
 * match patterns hold no port), and content scripts are injected with MV2's `tabs.executeScript`. A
 * hostile content script is made the way the Chromium spec makes one: injected by the extension itself
 * into a page that is no server, then sending `bg:` messages.
 */
import type { Browser } from '@wxt-dev/browser';
import type { Page } from 'puppeteer-core';
import { AuthProxy } from '../e2e/support/auth-proxy';
import { StaticSite } from '../e2e/support/static-site';
import { installTapProbe, tapRelays } from '../e2e/support/tap-probe';
import { startSimulator } from '../sim';
import { expect, test } from './fixtures';

declare const browser: typeof Browser;

interface ScriptAnswer {
  answered: boolean;
  answer?: unknown;
  error?: string;
}

/** Injects a content script into the tab showing `pageUrl` (from an extension page) and sends `message`. */
function sendFromContentScript(
  extensionPage: Page,
  pageUrl: string,
  message: unknown,
): Promise<ScriptAnswer> {
  const code = `(async () => {
    try {
      const answer = await browser.runtime.sendMessage(${JSON.stringify(message)});
      return { answered: answer !== undefined, answer };
    } catch (e) {
      return { answered: false, error: String(e) };
    }
  })()`;
  return extensionPage.evaluate(
    async (url, source) => {
      // Firefox match patterns take no port: find the tab by its URL instead
      const tab = (await browser.tabs.query({})).find((t) => t.url?.startsWith(url));
      if (tab?.id === undefined) throw new Error(`no tab at ${url}`);
      const results = await browser.tabs.executeScript(tab.id, { code: source });
      return results?.[0] as ScriptAnswer;
    },
    pageUrl,
    code,
  );
}

async function openTab(firefox: { browser: { newPage(): Promise<Page> } }, url: string, probe = false) {
  const tab = await firefox.browser.newPage();
  if (probe) await tab.evaluateOnNewDocument(installTapProbe);
  await tab.goto(url);
  return tab;
}

test('a content script on a page that is no server gets no answer; the bridge runs on the server port only', async ({
  sim,
  firefox,
  openView,
}) => {
  const other = new StaticSite();
  const anyUrl = new StaticSite();
  await Promise.all([other.start(), anyUrl.start()]);
  try {
    const options = await openView('options.html');
    const serverTab = await openTab(firefox, `${sim.url}/`, true);
    const otherTab = await openTab(firefox, `${other.url}/`, true);
    expect(await serverTab.evaluate(tapRelays, 5000)).toBe(true);
    // same host, another port: includeGlobs keeps the bridge out
    expect(await otherTab.evaluate(tapRelays, 2000)).toBe(false);

    for (const url of [other.url, sim.url]) {
      for (const message of [
        { type: 'bg:saveServer', payload: { name: 'evil', url: anyUrl.url } },
        { type: 'bg:runDoctor', payload: { url: anyUrl.url } },
        { type: 'engine:cancelJob', payload: { serverId: 'local', promptId: 'x' } },
      ]) {
        expect(
          await sendFromContentScript(options.page, url, message),
          `${message.type} from ${url}`,
        ).toMatchObject({
          answered: false,
        });
      }
    }
    expect(
      await sendFromContentScript(options.page, other.url, { type: 'engine:tabReconnected', payload: {} }),
    ).toMatchObject({ answered: false });
    expect(
      await sendFromContentScript(options.page, sim.url, { type: 'engine:tabReconnected', payload: {} }),
    ).toEqual({
      answered: true,
      answer: { ok: true },
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(anyUrl.requests).toEqual([]);
    const urls = () =>
      options.page.evaluate(() =>
        [
          ...document.querySelectorAll<HTMLInputElement>(
            '[data-testid="server-form"] [data-testid="server-url"]',
          ),
        ]
          .map((i) => i.value)
          .filter(Boolean),
      );
    expect(await urls()).toEqual([sim.url]);
  } finally {
    await Promise.all([other.close(), anyUrl.close()]);
  }
});

test('a header token works for the socket, the API and /view images, and no URL carries it', async ({
  sim,
  comfy,
  openView,
}) => {
  const proxy = new AuthProxy(sim.url, 'tok-FF-S3CRET-88');
  await proxy.start();
  try {
    const options = await openView('options.html');
    const page = options.page;
    await page.locator('[data-testid="server-url"]').fill(proxy.url);
    await page.locator('[data-testid="server-token"]').fill(proxy.token);
    await page.click('[data-testid="server-save"]');
    await expect
      .poll(() =>
        page.evaluate(() => document.querySelector('[data-testid="server-save-status"]')?.textContent),
      )
      .toBe('Saved.');
    const panel = await openView('sidepanel.html');
    await panel.expectConnection('connected');
    const id = await comfy.post('ok', { steps: 2, delayMs: 50 });
    await panel.expectStatus(id, 'success');
    await panel.page.evaluate((key) => {
      location.hash = `#job=${encodeURIComponent(key)}`;
    }, `local:${id}`);
    await expect
      .poll(() =>
        panel.page.evaluate(() => {
          const img = document.querySelector<HTMLImageElement>('[data-testid="job-output-image"]');
          return img?.complete ? img.naturalWidth : 0;
        }),
      )
      .toBeGreaterThan(0);
    expect(proxy.log.filter((e) => e.url.includes(proxy.token))).toEqual([]);
    expect(proxy.log.filter((e) => e.auth !== 'header')).toEqual([]);
    expect(proxy.log.some((e) => e.upgrade && e.status === 101)).toBe(true);
    expect(proxy.log.find((e) => e.url.startsWith('/api/view') && !e.url.includes('preview='))).toMatchObject(
      {
        auth: 'header',
        status: 200,
      },
    );
  } finally {
    await proxy.close();
  }
});

test('the doctor passes an unsaved default ComfyUI on another port, without naming --enable-cors-header', async ({
  openView,
}) => {
  const other = await startSimulator({ port: 0, host: '127.0.0.1', originCheck: true, secFetchGuard: true });
  try {
    const { page } = await openView('options.html');
    await page.click('[data-testid="server-add"]');
    const form = '[data-testid="server-form"][data-server-id=""]';
    await page.locator(`${form} [data-testid="server-url"]`).fill(other.url);
    await page.click(`${form} [data-testid="doctor-run"]`);
    const result = () =>
      page.evaluate((sel) => {
        const r = document.querySelector(`${sel} [data-testid="doctor-result"]`);
        return r ? [r.getAttribute('data-finding'), r.textContent?.includes('--enable-cors-header')] : null;
      }, form);
    await expect.poll(result, { timeout: 30_000 }).toEqual(['ok', false]);
    const port = new URL(other.url).port;
    const leftover = await page.evaluate(
      async (p) =>
        (await browser.declarativeNetRequest.getSessionRules()).filter((r) =>
          r.condition.regexFilter?.includes(p),
        ),
      port,
    );
    expect(leftover).toEqual([]);
  } finally {
    await other.close();
  }
});

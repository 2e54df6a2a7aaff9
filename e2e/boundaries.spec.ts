/**
 * The extension answers only its own pages, and reaches no further than its servers (issue 8): each
 * attack is refused and the legitimate use still works, in real Chromium.
 *
 * How a "hostile content script" is made: after this change no script of ours runs on a page that is no
 * server, so the spec injects one the way an extension would, with `chrome.scripting.executeScript` in
 * the ISOLATED world (the world content scripts run in; the browser reports it to the background as a
 * content script of that tab and URL, exactly as a static one). It then sends `bg:` messages.
 */
import type { Page } from '@playwright/test';
import type { Browser } from '@wxt-dev/browser';
import { startSimulator } from '../sim';
import { expect, test } from './fixtures';
import { JobDetailPage } from './pages/job-detail';
import { AuthProxy } from './support/auth-proxy';
import { StaticSite } from './support/static-site';
import { sessionRules } from './support/sw';
import { installTapProbe, tapRelays } from './support/tap-probe';

declare const chrome: typeof Browser;

interface ScriptAnswer {
  answered: boolean;
  answer?: unknown;
  error?: string;
}

/** Injects a content script into the tab showing `pageUrl` and has it send `message` to the extension. */
function sendFromContentScript(
  extensionPage: Page,
  pageUrl: string,
  message: unknown,
): Promise<ScriptAnswer> {
  return extensionPage.evaluate(
    async ({ pageUrl, message }) => {
      const [tab] = await chrome.tabs.query({ url: `${pageUrl}/*` });
      if (tab?.id === undefined) throw new Error(`no tab at ${pageUrl}`);
      const [injection] = await chrome.scripting.executeScript({
        target: { tabId: tab.id },
        world: 'ISOLATED',
        args: [message],
        func: async (m: unknown) => {
          try {
            const answer = await chrome.runtime.sendMessage(m);
            return { answered: answer !== undefined, answer };
          } catch (e) {
            return { answered: false, error: String(e) };
          }
        },
      });
      return injection?.result as ScriptAnswer;
    },
    { pageUrl, message },
  );
}

const savedServers = (options: Page) =>
  options.locator('[data-testid="server-form"]:not([data-server-id=""]) [data-testid="server-url"]');

test('a content script on a page that is no server gets no answer: it saves no server and runs no doctor', async ({
  sim,
  context,
  openOptions,
}) => {
  const anyUrl = new StaticSite();
  await anyUrl.start();
  const siteServer = new StaticSite();
  try {
    const options = await openOptions();
    await expect(savedServers(options.page)).toHaveCount(1);
    await siteServer.start();
    const page = await context.newPage();
    await page.goto(siteServer.url);
    const serverTab = await context.newPage();
    await serverTab.goto(`${sim.url}/`);

    const evilSave = { type: 'bg:saveServer', payload: { name: 'evil', url: anyUrl.url } };
    const evilDoctor = { type: 'bg:runDoctor', payload: { url: anyUrl.url } };
    for (const [where, url] of [
      ['a loopback page that is no server', siteServer.url],
      ["the ComfyUI server's own tab", sim.url],
    ] as const) {
      expect(await sendFromContentScript(options.page, url, evilSave), where).toMatchObject({
        answered: false,
      });
      expect(await sendFromContentScript(options.page, url, evilDoctor), where).toMatchObject({
        answered: false,
      });
      expect(
        await sendFromContentScript(options.page, url, { type: 'bg:removeServer', payload: { id: 'local' } }),
        where,
      ).toMatchObject({ answered: false });
    }
    // the tab bridge's own message is taken from the server's tab, and from there only
    expect(
      await sendFromContentScript(options.page, siteServer.url, {
        type: 'engine:tabReconnected',
        payload: {},
      }),
    ).toMatchObject({ answered: false });
    expect(
      await sendFromContentScript(options.page, sim.url, { type: 'engine:tabReconnected', payload: {} }),
    ).toEqual({ answered: true, answer: { ok: true } });

    await options.page.waitForTimeout(1500);
    expect(anyUrl.requests).toEqual([]);
    await expect(savedServers(options.page)).toHaveCount(1);
    await expect(savedServers(options.page)).toHaveValue(sim.url);

    // the legitimate use: the options page itself runs the doctor against that address
    const report = await options.page.evaluate(
      (m) => chrome.runtime.sendMessage(m) as Promise<{ finding: string }>,
      evilDoctor,
    );
    expect(report.finding).not.toBe('permission-missing');
    expect(anyUrl.requests.length).toBeGreaterThan(0);
  } finally {
    await Promise.all([anyUrl.close(), siteServer.close()]);
  }
});

test("the tab bridge runs on configured servers' pages only, port included, and follows the server list", async ({
  sim,
  context,
  openOptions,
  serviceWorker,
  extension,
}) => {
  const other = new StaticSite();
  await other.start();
  try {
    const registered = () =>
      serviceWorker.evaluate(async () =>
        (await chrome.scripting.getRegisteredContentScripts()).map((s) => [s.id, s.world, s.matches]),
      );
    // the worker registers the bridge as it starts (a page opened before that, like any page open while
    // an extension installs, gets it on its next load)
    await expect.poll(registered).toEqual([
      ['comfypulse-tap', 'MAIN', [`${sim.url}/*`]],
      ['comfypulse-bridge', 'ISOLATED', [`${sim.url}/*`]],
    ]);
    // the registration belongs to the browser, not to the worker: it outlives a stopped worker
    await extension.stopServiceWorker();
    const serverTab = await context.newPage();
    await serverTab.addInitScript(installTapProbe);
    const otherTab = await context.newPage();
    await otherTab.addInitScript(installTapProbe);
    await serverTab.goto(`${sim.url}/`);
    await otherTab.goto(`${other.url}/`);
    expect(await serverTab.evaluate(tapRelays, 5000)).toBe(true);
    // the same host (127.0.0.1), another port: no script of ours
    expect(await otherTab.evaluate(tapRelays, 2000)).toBe(false);

    // the user adds that address as a server: its pages get the bridge (after a reload, as any content script)
    const options = await openOptions();
    await options.page.getByTestId('server-add').click();
    const form = options.page.locator('[data-testid="server-form"][data-server-id=""]');
    await form.getByTestId('server-url').fill(other.url);
    await form.getByTestId('server-save').click();
    await expect(savedServers(options.page)).toHaveCount(2);
    await expect
      .poll(registered)
      .toContainEqual(['comfypulse-tap', 'MAIN', [`${sim.url}/*`, `${other.url}/*`].sort()]);
    await otherTab.reload();
    expect(await otherTab.evaluate(tapRelays, 5000)).toBe(true);

    // and removed again: gone
    const added = options.page.locator('[data-testid="server-form"]').filter({
      has: options.page.locator(`[data-testid="server-url"][value="${other.url}"]`),
    });
    await added.getByTestId('server-remove').click();
    await expect(savedServers(options.page)).toHaveCount(1);
    await expect.poll(registered).toContainEqual(['comfypulse-tap', 'MAIN', [`${sim.url}/*`]]);
    await otherTab.reload();
    expect(await otherTab.evaluate(tapRelays, 2000)).toBe(false);
  } finally {
    await other.close();
  }
});

test('a token goes as a header by default: socket, API and /view images work, no URL carries it, no web page gets it', async ({
  sim,
  comfy,
  context,
  openOptions,
  openSidePanel,
}) => {
  const proxy = new AuthProxy(sim.url, 'tok-S3CRET-4217');
  await proxy.start();
  const attacker = new StaticSite();
  try {
    const options = await openOptions();
    await options.setServer(proxy.url, proxy.token);
    await expect(options.page.getByTestId('server-save-status').first()).toHaveText('Saved.');
    await expect(options.page.getByTestId('server-token-mode').first()).toHaveValue('header');
    const panel = await openSidePanel();
    await panel.expectConnection('connected');
    const id = await comfy.post('ok', { steps: 2, delayMs: 50 });
    await panel.expectStatus(id, 'success');

    // the output image in the job's detail: an <img> of the extension page, which cannot set a header
    const detail = await JobDetailPage.open(panel.page, `local:${id}`);
    const image = detail.page.getByTestId('job-output-image').first();
    await expect(image).toBeVisible();
    await expect
      .poll(() => image.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth))
      .toBeGreaterThan(0);

    const fromExtension = [...proxy.log];
    expect(fromExtension.filter((e) => e.url.includes(proxy.token))).toEqual([]);
    expect(fromExtension.filter((e) => e.auth !== 'header')).toEqual([]);
    expect(fromExtension.some((e) => e.upgrade && e.status === 101)).toBe(true);
    const imageRequest = fromExtension.find(
      (e) => e.url.startsWith('/api/view') && !e.url.includes('preview='),
    );
    expect(imageRequest).toMatchObject({ auth: 'header', status: 200 });

    // a web page showing the same image gets no token: the header rule is the extension's own
    const src = `${proxy.url}${imageRequest!.url}`;
    await attacker.start();
    const page = await context.newPage();
    await page.goto(`${attacker.url}/`);
    await page.evaluate(
      (s) =>
        new Promise<void>((resolve) => {
          const img = document.createElement('img');
          img.id = 'stolen';
          img.onload = img.onerror = () => resolve();
          img.src = s;
          document.body.append(img);
        }),
      src,
    );
    expect(
      await page.evaluate(() => (document.getElementById('stolen') as HTMLImageElement).naturalWidth),
    ).toBe(0);
    expect(proxy.log.slice(fromExtension.length)).toContainEqual(
      expect.objectContaining({ url: imageRequest!.url, auth: 'none', status: 401 }),
    );

    // ?token= stays available for servers that need it
    const before = proxy.log.length;
    await options.page.getByTestId('server-token-mode').first().selectOption('query');
    await expect(options.page.getByTestId('server-token-mode-hint').first()).toBeVisible();
    await options.page.getByTestId('server-save').first().click();
    await expect
      .poll(() => proxy.log.slice(before).some((e) => e.upgrade && e.auth === 'query' && e.status === 101), {
        timeout: 30_000,
      })
      .toBe(true);
    await panel.expectConnection('connected');
  } finally {
    await Promise.all([proxy.close(), attacker.close()]);
  }
});

test('the doctor probes an unsaved server as saving it would: a default ComfyUI on another port passes, and the flag is named only where nothing else works', async ({
  openOptions,
  serviceWorker,
}) => {
  const other = await startSimulator({ port: 0, host: '127.0.0.1', originCheck: true, secFetchGuard: true });
  // refuses everything with ComfyUI's empty 403, whatever the Origin: nothing the extension does can help
  const wall = new StaticSite({ status: 403 });
  const wallUrl = await wall.start();
  try {
    const options = await openOptions();
    await options.page.getByTestId('server-add').click();
    const form = options.page.locator('[data-testid="server-form"][data-server-id=""]');
    const result = form.getByTestId('doctor-result');

    await form.getByTestId('server-url').fill(other.url);
    await form.getByTestId('doctor-run').click();
    await expect(result).toHaveAttribute('data-finding', 'ok', { timeout: 30_000 });
    await expect(result).not.toContainText('--enable-cors-header');
    // its temporary rule is gone; nothing was saved
    const port = new URL(other.url).port;
    expect(
      (await sessionRules(serviceWorker)).filter((r) => r.condition.regexFilter?.includes(port)),
    ).toEqual([]);
    await expect(savedServers(options.page)).toHaveCount(1);

    await form.getByTestId('server-url').fill(wallUrl);
    await form.getByTestId('doctor-run').click();
    await expect(result).toHaveAttribute('data-finding', 'origin-rejected', { timeout: 30_000 });
    await expect(result).toContainText('--enable-cors-header chrome-extension://');
    await expect(result).toContainText('Only if nothing else can be changed');
  } finally {
    await Promise.all([other.close(), wall.close()]);
  }
});

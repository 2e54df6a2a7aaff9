/**
 * `bash scripts/demo.sh`: Chromium with the freshly built extension, against a real ComfyUI on
 * 127.0.0.1:8188 when one answers `GET /system_stats`, else against the simulator started there.
 *
 * - With a display ($DISPLAY or $WAYLAND_DISPLAY) the browser is headed: the side panel and popup open in
 *   tabs, a demo job is queued, and the browser stays open until you close it or press Ctrl-C.
 * - Without one it runs headless, queues a demo job, saves screenshots of the popup and the side panel
 *   mid-job and after it to .tmp/demo/, prints their paths and exits.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Page } from '@playwright/test';
import { jobEntry } from '../e2e/pages/jobs-view';
import { type ExtensionBrowser, launchExtension } from '../e2e/support/browser';
import { BUILD_DIR, ROOT, snapshotBuild } from '../e2e/support/build';
import { ComfyDriver } from '../e2e/support/comfy';
import { lockPort } from '../e2e/support/port-lock';
import { startSimulator } from '../sim';

const SERVER = 'http://127.0.0.1:8188';
const OUT = join(ROOT, '.tmp/demo');

/** A graph of built-in nodes only, for a real ComfyUI that lacks the test nodes (PeerSteps, PeerFail). */
const BUILTIN_DEMO = {
  '1': { class_type: 'EmptyImage', inputs: { width: 512, height: 512, batch_size: 1, color: 3381759 } },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'PreviewImage', inputs: { images: ['2', 0] } },
};

async function comfyAnswers(): Promise<string | undefined> {
  try {
    const res = await fetch(`${SERVER}/system_stats`, { signal: AbortSignal.timeout(1500) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { system?: { comfyui_version?: string } };
    return body.system?.comfyui_version ?? 'unknown version';
  } catch {
    return undefined;
  }
}

async function queueDemoJob(real: boolean): Promise<string> {
  if (!real) return new ComfyDriver(SERVER).post('ok', { steps: 24, delayMs: 250 });
  const res = await fetch(`${SERVER}/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: BUILTIN_DEMO }),
  });
  if (!res.ok) throw new Error(`ComfyUI refused the demo job: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { prompt_id: string }).prompt_id;
}

/** The job's card while active, its history row or gallery tile once finished (e2e/pages/jobs-view.ts). */
const card = (id: string, status?: string) =>
  jobEntry(id)
    .split(', ')
    .map((s) => `${s}${status ? `[data-status="${status}"]` : ''}`)
    .join(', ');

async function shoot(page: Page, name: string): Promise<string> {
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

function printHowTo(extensionId: string): void {
  const build = relative(process.cwd(), BUILD_DIR) || BUILD_DIR;
  console.log(`
Load the extension into your own Chrome or Chromium:
  1. Open chrome://extensions and switch on "Developer mode" (top right).
  2. Click "Load unpacked" and choose the folder ${build}
     (rebuild it with "npx wxt build"; its id is ${extensionId}).
  3. Pin ComfyPulse from the puzzle-piece menu; click it for the popup, or open the side panel from it.

Run ComfyUI so that it works with the extension:
  - Nothing special for a local server: "python main.py" (it listens on 127.0.0.1:8188). ComfyPulse makes
    its own requests look same-origin, so the default origin check passes; you do NOT need
    --enable-cors-header. For live previews start it with "--preview-method auto".
  - Another machine or port: add it under Options -> Servers (the browser asks for permission for that host).
  - If the connection doctor still reports "origin rejected" (an unusual proxy or server), the fix it names
    is "--enable-cors-header chrome-extension://${extensionId}". That flag switches ComfyUI's origin check
    off for every site, so any web page you visit could then queue or cancel jobs on that server.
`);
}

async function main(): Promise<void> {
  const version = await comfyAnswers();
  // An e2e run or benchmark on this machine also uses 8188: wait for it rather than share the simulator.
  const unlock = version ? () => {} : await lockPort(8188, { log: (line) => console.log(line) });
  const sim = version
    ? undefined
    : await startSimulator({ port: 8188, host: '127.0.0.1', originCheck: true }).catch((err: unknown) => {
        throw new Error(
          `Port 8188 is taken by something that is not ComfyUI; free it and retry (${String(err)})`,
        );
      });
  console.log(
    version
      ? `Using the ComfyUI that answers on ${SERVER} (${version}).`
      : `No ComfyUI on ${SERVER}: started the simulator there (origin check on, like a default ComfyUI).`,
  );
  const headed = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
  const extensionPath = snapshotBuild(join(ROOT, '.tmp/demo/extension'));
  mkdirSync(OUT, { recursive: true });
  const browser: ExtensionBrowser = await launchExtension({
    extensionPath,
    headed,
    // Headed runs keep their history between demos; headless ones start clean.
    ...(headed ? { userDataDir: join(ROOT, '.tmp/demo/profile') } : {}),
    viewport: headed ? { width: 1100, height: 800 } : { width: 420, height: 720 },
  });
  const cleanup = async () => {
    await browser.close();
    await sim?.close();
    unlock();
  };
  try {
    const sidepanel = await browser.openPage('sidepanel.html');
    const popup = await browser.openPage('popup.html');
    await popup.setViewportSize({ width: 400, height: 600 });
    await sidepanel.waitForSelector('[data-testid="connection-status"][data-state="connected"]', {
      timeout: 20_000,
    });
    if (!version) {
      // A little history first, so the views show what they do with one: results, a failure, and node
      // timings that the demo job's chart compares against.
      const driver = new ComfyDriver(SERVER);
      const earlier = [
        await driver.post('ok', { steps: 8, delayMs: 80 }),
        await driver.post('fail', {}),
        await driver.post('ok', { steps: 8, delayMs: 120 }),
      ];
      for (const e of earlier) await sidepanel.waitForSelector(card(e), { timeout: 30_000 });
      await sidepanel.waitForSelector(card(earlier[2]!, 'success'), { timeout: 30_000 });
    }
    const id = await queueDemoJob(Boolean(version));
    console.log(`Queued demo job ${id}.`);
    printHowTo(browser.extensionId);

    if (headed) {
      console.log('The browser stays open; close it or press Ctrl-C to stop.');
      await new Promise<void>((resolve) => {
        browser.context.on('close', () => resolve());
        process.once('SIGINT', () => resolve());
      });
      return;
    }

    const shots: string[] = [];
    // A real ComfyUI runs the built-in demo graph in a blink; mid-job shots are then taken as it stands.
    const running = await sidepanel
      .waitForSelector(card(id, 'running'), { timeout: 20_000 })
      .then(() => sidepanel.waitForTimeout(2_000))
      .then(() => true)
      .catch(() => false);
    if (running) {
      await popup.waitForSelector(card(id), { timeout: 5_000 }).catch(() => {});
      shots.push(await shoot(popup, 'popup-mid-job'), await shoot(sidepanel, 'sidepanel-mid-job'));
    }
    await sidepanel.waitForSelector(card(id, 'success'), { timeout: 60_000 });
    await popup.waitForSelector(card(id, 'success'), { timeout: 10_000 });
    await sidepanel.waitForTimeout(1_000); // let the output thumbnail load
    shots.push(await shoot(popup, 'popup-after'), await shoot(sidepanel, 'sidepanel-after'));
    // The job's detail: its timelapse (encoded a moment after the end), the per-node chart, the outputs.
    const jobKey = await sidepanel.locator(card(id)).first().getAttribute('data-job-key');
    if (jobKey) {
      await sidepanel.evaluate(
        (hash) => {
          location.hash = hash;
        },
        `#job=${encodeURIComponent(jobKey)}`,
      );
      await sidepanel.waitForSelector('[data-testid="job-detail"]', { timeout: 10_000 });
      await sidepanel.waitForSelector('[data-testid="job-timelapse"]', { timeout: 20_000 }).catch(() => {});
      await sidepanel.waitForTimeout(500);
      shots.push(await shoot(sidepanel, 'sidepanel-job-detail'));
    }
    console.log('Screenshots:');
    for (const s of shots) console.log(`  ${relative(process.cwd(), s)}`);
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

/**
 * `npm run store-assets [-- --out DIR]`: the Chrome Web Store screenshots (1280×800 PNG), rendered from
 * the real extension in Chromium against the simulator (origin check on, like a default ComfyUI):
 *
 * - `1-running.png`: the side panel and the popup while a job runs (live preview, progress, current node);
 * - `2-finished.png`: the same views once it succeeded (output thumbnail, time taken).
 *
 * Each is the two views, captured at their real size, placed on a plain backdrop with a one-line caption.
 * The README's top picture is `docs/images/1-running.png` (`npm run store-assets -- --out docs/images`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from '@playwright/test';
import { launchExtension } from '../e2e/support/browser';
import { ensureBuild, ROOT, snapshotBuild } from '../e2e/support/build';
import { ComfyDriver } from '../e2e/support/comfy';
import { lockPort } from '../e2e/support/port-lock';
import { startSimulator } from '../sim';

const STORE_SIZE = { width: 1280, height: 800 };
const PANEL_SIZE = { width: 400, height: 720 };
const POPUP_SIZE = { width: 380, height: 560 };

const card = (id: string, status?: string) =>
  `[data-testid="job-card"][data-prompt-id="${id}"]${status ? `[data-status="${status}"]` : ''}`;

/** Resolves once the job's card shows at least `percent` progress and a decoded live preview. */
async function waitMidJob(page: Page, id: string, percent: number): Promise<void> {
  const where = new URL(page.url()).pathname;
  await page
    .waitForFunction(
      ([sel, min]) => {
        const c = document.querySelector(sel as string);
        const now = Number(c?.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow'));
        const preview = c?.querySelector<HTMLImageElement>('img[data-testid="job-preview"]');
        return now >= (min as number) && (preview?.naturalWidth ?? 0) > 0;
      },
      [card(id, 'running'), percent],
      // by interval: requestAnimationFrame, the default, does not run in a tab in the background
      { timeout: 60_000, polling: 100 },
    )
    .catch((err: unknown) => {
      throw new Error(`${where}: job ${id} never showed ${percent}% with a live preview`, { cause: err });
    });
}

/** Resolves once every image in the job's card has decoded (the output thumbnail included). */
async function waitImagesLoaded(page: Page, id: string): Promise<void> {
  await page.waitForFunction(
    (sel) => {
      const imgs = [...document.querySelectorAll<HTMLImageElement>(`${sel} img`)];
      return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    },
    card(id, 'success'),
    { timeout: 30_000, polling: 100 },
  );
}

function dataUrl(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** The 1280×800 frame: caption on the left, the side panel and the popup side by side. */
function stageHtml(caption: string, detail: string, panel: Buffer, popup: Buffer): string {
  return `<!doctype html><html><head><style>
  html,body{margin:0;width:${STORE_SIZE.width}px;height:${STORE_SIZE.height}px;overflow:hidden}
  body{display:flex;align-items:center;gap:40px;padding:0 48px;box-sizing:border-box;
    background:linear-gradient(135deg,#101828 0%,#1d2b4f 100%);font-family:'DejaVu Sans',sans-serif;color:#f2f4f7}
  .text{flex:1;min-width:0}
  h1{font-size:34px;line-height:1.2;margin:0 0 16px}
  p{font-size:18px;line-height:1.5;margin:0;color:#c7d0e0}
  .brand{font-size:16px;letter-spacing:.08em;text-transform:uppercase;color:#7aa2ff;margin-bottom:12px}
  img{display:block;border-radius:10px;box-shadow:0 18px 48px rgba(0,0,0,.45)}
  .popup{align-self:flex-start;margin-top:${(STORE_SIZE.height - PANEL_SIZE.height) / 2}px}
  </style></head><body>
  <div class="text"><div class="brand">ComfyPulse</div><h1>${caption}</h1><p>${detail}</p></div>
  <img src="${dataUrl(panel)}" width="${PANEL_SIZE.width}" height="${PANEL_SIZE.height}">
  <img class="popup" src="${dataUrl(popup)}" width="${POPUP_SIZE.width}" height="${POPUP_SIZE.height}">
  </body></html>`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: '.output/store-assets' } } });
  const out = resolve(ROOT, values.out);
  mkdirSync(out, { recursive: true });

  ensureBuild((line) => console.log(line));
  const extensionPath = snapshotBuild(join(ROOT, '.tmp/store-assets/extension'));
  // The extension's default server is 127.0.0.1:8188; e2e runs and the demo use it too.
  const unlock = await lockPort(8188, { log: (line) => console.log(line) });
  const sim = await startSimulator({ port: 8188, host: '127.0.0.1', originCheck: true });
  const browser = await launchExtension({ extensionPath, viewport: PANEL_SIZE });
  try {
    const comfy = new ComfyDriver(sim.url);
    const panel = await browser.openPage('sidepanel.html');
    const popup = await browser.openPage('popup.html');
    await popup.setViewportSize(POPUP_SIZE);
    await panel.waitForSelector('[data-testid="connection-status"][data-state="connected"]', {
      timeout: 30_000,
    });

    // A little history first, so the views look like a working day rather than a fresh install.
    const earlier = await comfy.post('ok', { steps: 6, delayMs: 60 });
    await panel.waitForSelector(card(earlier, 'success'), { timeout: 30_000 });

    // 8 steps: the simulator's previews are the frames of a real 8-step run, which print "k/8"
    const id = await comfy.post('ok', { steps: 8, delayMs: 1000 });
    // a second job waits behind it in the queue (shown once the extension's next queue poll sees it)
    const next = await comfy.post('ok', { steps: 12, delayMs: 150 });
    // half way through its sampler (the bar counts every node of the graph, the cached one included)
    await waitMidJob(panel, id, 15);
    await waitMidJob(popup, id, 15);
    const running = stageHtml(
      'Every ComfyUI job, live',
      'Progress, the node that is running and a live preview, in a side panel and the toolbar popup. ' +
        'Works with a stock ComfyUI: no flags, no CORS changes.',
      await panel.screenshot(),
      await popup.screenshot(),
    );

    // both jobs done, so the finished views show nothing running
    for (const job of [id, next]) {
      await panel.waitForSelector(card(job, 'success'), { timeout: 60_000 });
      await popup.waitForSelector(card(job, 'success'), { timeout: 10_000 });
      await waitImagesLoaded(panel, job);
      await waitImagesLoaded(popup, job);
    }
    const finished = stageHtml(
      'Know the moment it is done',
      'The output, the time it took and a notification when a job finishes, fails or is interrupted. ' +
        'Cancel any job from the list.',
      await panel.screenshot(),
      await popup.screenshot(),
    );

    const stage = await browser.context.newPage();
    await stage.setViewportSize(STORE_SIZE);
    const written: string[] = [];
    for (const [name, html] of [
      ['1-running.png', running],
      ['2-finished.png', finished],
    ] as const) {
      await stage.setContent(html, { waitUntil: 'load' });
      const path = join(out, name);
      writeFileSync(path, await stage.screenshot({ clip: { x: 0, y: 0, ...STORE_SIZE } }));
      written.push(path);
    }
    console.log(`Store screenshots (${STORE_SIZE.width}x${STORE_SIZE.height}):`);
    for (const p of written) console.log(`  ${relative(process.cwd(), p)}`);
  } catch (err) {
    // what the views showed when it went wrong
    for (const [i, page] of browser.context.pages().entries()) {
      await page.screenshot({ path: join(out, `failed-${i}.png`) }).catch(() => undefined);
    }
    throw err;
  } finally {
    await browser.close();
    await sim.close();
    unlock();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

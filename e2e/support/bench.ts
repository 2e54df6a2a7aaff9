/** Helpers shared by the extension benchmarks (bench/ext-*.bench.ts). */
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { OptionsPage } from '../pages/options';
import { type ExtensionBrowser, launchExtension } from './browser';
import { ensureBuild, ROOT, snapshotBuild } from './build';
import { lockPort } from './port-lock';

/** Builds when stale and snapshots the build for one benchmark, so a concurrent rebuild cannot skew it. */
export function benchExtension(name: string): string {
  ensureBuild();
  return snapshotBuild(join(ROOT, '.tmp/bench', name));
}

/** Nearest-rank percentile of unsorted samples; NaN when there are none. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Epoch milliseconds with sub-millisecond resolution, comparable with `pageNow` after `clockOffset`. */
export function nodeNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The page's clock minus Node's, from the round trip with the smallest delay (both clocks are the same
 * machine's, but each process fixes its time origin separately, so they can differ by a millisecond or so).
 */
export async function clockOffset(page: Page, rounds = 15): Promise<number> {
  let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
  for (let i = 0; i < rounds; i++) {
    const t0 = nodeNow();
    const tp = await page.evaluate(() => performance.timeOrigin + performance.now());
    const t1 = nodeNow();
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: tp - (t0 + t1) / 2 };
  }
  return best.offset;
}

export async function waitForConnected(page: Page, timeout = 20_000): Promise<void> {
  await page.waitForSelector('[data-testid="connection-status"][data-state="connected"]', { timeout });
}

/**
 * Runs `fn` with a simulator on a free port and a fresh browser with the extension pointed at it, releasing
 * everything however `fn` ends. A free port, so that a ComfyUI of the user's on 8188 (the extension's
 * default server) neither blocks the benchmark nor is measured instead of the simulator. The machine-wide
 * lock is still taken: e2e runs and benchmarks on one machine take turns, rather than competing for the
 * CPU that is being measured.
 */
export async function withBenchBrowser<S extends { url: string; close(): Promise<void> }, T>(
  name: string,
  startSim: (port: number) => Promise<S>,
  fn: (browser: ExtensionBrowser, sim: S) => Promise<T>,
): Promise<T> {
  const extensionPath = benchExtension(name);
  const unlock = await lockPort(8188, { log: (line) => console.log(line) });
  let sim: S | undefined;
  let browser: ExtensionBrowser | undefined;
  try {
    sim = await startSim(0);
    browser = await launchExtension({ extensionPath });
    const options = new OptionsPage(await browser.openPage(OptionsPage.path));
    await options.setServer(sim.url);
    const saved = options.page.getByTestId('server-save-status').first();
    await saved.waitFor();
    if (!(await saved.getAttribute('class'))?.includes('ok'))
      throw new Error(`pointing the extension at the simulator failed: ${await saved.textContent()}`);
    await options.page.close();
    return await fn(browser, sim);
  } finally {
    await browser?.close();
    await sim?.close();
    unlock();
  }
}

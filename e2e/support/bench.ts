/** Helpers shared by the extension benchmarks (bench/ext-*.bench.ts). */
import { join } from 'node:path';
import type { Page } from '@playwright/test';
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
 * Runs `fn` with a simulator on 8188 and a fresh browser with the extension, holding the port lock for the
 * whole run and releasing everything however `fn` ends.
 */
export async function withBenchBrowser<S extends { url: string; close(): Promise<void> }, T>(
  name: string,
  startSim: () => Promise<S>,
  fn: (browser: ExtensionBrowser, sim: S) => Promise<T>,
): Promise<T> {
  const extensionPath = benchExtension(name);
  const unlock = await lockPort(8188, { log: (line) => console.log(line) });
  let sim: S | undefined;
  let browser: ExtensionBrowser | undefined;
  try {
    sim = await startSim();
    browser = await launchExtension({ extensionPath });
    return await fn(browser, sim);
  } finally {
    await browser?.close();
    await sim?.close();
    unlock();
  }
}

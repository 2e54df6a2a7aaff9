/**
 * An encode in progress, for the extension benchmarks: a second ComfyUI server (the simulator, with real-
 * size 512 px previews, `sim-big-previews-main.ts`) added to the extension, running one 64-preview job
 * after another, so the offscreen engine keeps encoding timelapses (64 frames, the default cap and size)
 * while the benchmark measures. At most one finished job waits for its encode, so the load is steady.
 *
 * Every stored timelapse carries when it was stored and how long its encode took, so afterwards each
 * measurement can be told whether an encode was running at that moment (`during`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Page } from '@playwright/test';
import type { ExtensionBrowser } from '../e2e/support/browser';
import { ROOT } from '../e2e/support/build';
import { ComfyDriver } from '../e2e/support/comfy';

export const LOAD_SERVER_ID = 'bench-encode-load';
const LOAD_STEPS = 64;

export interface EncodeInterval {
  start: number;
  end: number;
  /** The encode's own work (ms), without the rests it takes to leave the CPU to the pages. */
  encodeMs: number;
  frames: number;
  /** Stored size of the timelapse, bytes. */
  size: number;
}

export interface EncodeLoad {
  /** Stops queueing jobs, waits for the last encode, and returns every encode's interval (epoch ms). */
  stop(): Promise<EncodeInterval[]>;
}

/** Whether an epoch-ms time fell inside any encode. */
export function during(intervals: readonly EncodeInterval[], t: number): boolean {
  return intervals.some((i) => t >= i.start && t <= i.end);
}

/** The share of [from, to] covered by encodes. */
export function coverage(intervals: readonly EncodeInterval[], from: number, to: number): number {
  let covered = 0;
  let cursor = from;
  for (const i of [...intervals].sort((a, b) => a.start - b.start)) {
    const s = Math.max(i.start, cursor);
    const e = Math.min(i.end, to);
    if (e > s) {
      covered += e - s;
      cursor = e;
    }
  }
  return to > from ? covered / (to - from) : 0;
}

async function startBigPreviewSim(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/sim-big-previews-main.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the load simulator did not start: ${stderr}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`the load simulator exited (${code}): ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /"ready":"([^"]+)"/.exec(line);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  return { url, child };
}

/** The load server's stored timelapses, read from one of the extension's pages (raw IndexedDB). */
async function timelapses(
  page: Page,
): Promise<
  { key: string; createdAt: number; encodeMs: number; frames: number; size: number; elapsedMs: number }[]
> {
  return page.evaluate(async (prefix) => {
    const open = indexedDB.open('comfypulse');
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const rows = await new Promise<Record<string, unknown>[]>((resolve, reject) => {
      const r = db.transaction('blobs').objectStore('blobs').index('kind').getAll('timelapse');
      r.onsuccess = () => resolve(r.result as Record<string, unknown>[]);
      r.onerror = () => reject(r.error);
    });
    db.close();
    return rows
      .filter((b) => String(b.jobKey).startsWith(prefix))
      .map((b) => ({
        key: String(b.key),
        createdAt: Number(b.createdAt),
        encodeMs: Number(b.encodeMs),
        elapsedMs: Number(b.encodeElapsedMs),
        frames: Number(b.frames),
        size: Number(b.size),
      }));
  }, `${LOAD_SERVER_ID}:`);
}

async function putServer(page: Page, server: Record<string, unknown>): Promise<void> {
  await page.evaluate(async (s) => {
    const open = indexedDB.open('comfypulse');
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('servers', 'readwrite');
      tx.objectStore('servers').put(s);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }, server);
}

export async function startEncodeLoad(
  browser: ExtensionBrowser,
  log: (line: string) => void,
): Promise<EncodeLoad> {
  const { url, child } = await startBigPreviewSim();
  const page = await browser.openPage('options.html');
  await page.waitForFunction(async () => (await indexedDB.databases()).some((d) => d.name === 'comfypulse'));
  const server = {
    id: LOAD_SERVER_ID,
    name: 'encode load',
    url,
    tokenMode: 'query',
    enabled: true,
    clientId: 'comfypulse-bench-load',
    createdAt: Date.now(),
  };
  // Written with raw IndexedDB, which Dexie's live queries do not see: ask the worker to reload the engine
  // (loopback needs no extra permission; this simulator has no origin check, so no Origin rule either).
  const reload = () =>
    page.evaluate(() =>
      (
        globalThis as unknown as { chrome: { runtime: { sendMessage(m: unknown): Promise<unknown> } } }
      ).chrome.runtime.sendMessage({ type: 'bg:reloadEngine', payload: {} }),
    );
  await putServer(page, server);
  await reload();
  const comfy = new ComfyDriver(url);
  let stopping = false;
  let posted = 0;
  let failure: unknown;
  const loop = (async () => {
    while (!stopping) {
      const id = await comfy.post('ok', { steps: LOAD_STEPS, delayMs: 10 });
      posted++;
      await comfy.waitForHistory(id);
      // keep at most one finished job waiting behind the encode that runs
      const deadline = Date.now() + 60_000;
      while (!stopping && (await timelapses(page)).length < posted - 1 && Date.now() < deadline) {
        await page.waitForTimeout(100);
      }
    }
  })().catch((e: unknown) => {
    failure = e;
  });
  const shutdown = async () => {
    stopping = true;
    await loop;
    await putServer(page, { ...server, enabled: false }).catch(() => undefined);
    await reload().catch(() => undefined);
    await page.close().catch(() => undefined);
    child.kill('SIGTERM');
  };
  // Wait for the first stored timelapse: from here on, the engine is encoding.
  const first = Date.now() + 90_000;
  try {
    while ((await timelapses(page)).length === 0) {
      if (failure) throw failure;
      if (Date.now() > first) throw new Error('the encode load produced no timelapse within 90 s');
      await page.waitForTimeout(200);
    }
  } catch (e) {
    await shutdown();
    throw e;
  }
  log(`encode load: ${url}, jobs of ${LOAD_STEPS} previews of 512 px`);
  return {
    async stop() {
      stopping = true;
      await loop;
      const deadline = Date.now() + 60_000;
      while ((await timelapses(page)).length < posted && Date.now() < deadline)
        await page.waitForTimeout(200);
      const rows = await timelapses(page);
      await shutdown();
      if (failure) throw failure;
      return rows.map((r) => ({
        // in progress from its start to its end, rests included
        start: r.createdAt - r.elapsedMs,
        end: r.createdAt,
        encodeMs: r.encodeMs,
        frames: r.frames,
        size: r.size,
      }));
    },
  };
}

/**
 * An encode in progress, for the extension benchmarks: a second ComfyUI server (the simulator, with real-
 * size 512 px previews, `sim-big-previews-main.ts`) added to the extension, running one 64-preview job
 * after another, so the offscreen engine keeps encoding timelapses (64 frames, the default cap and size)
 * while the benchmark measures.
 *
 * The next load job is posted only once the previous one's timelapse is stored: a job's previews and its
 * encode never overlap another encode. Otherwise the load server's own live previews and progress (64 steps
 * of 512 px PNGs in under a second, each shown by the side panel and the popup) would run during the encodes
 * and be counted as the encode's cost, which is not what a user meets: the encode of a job that ended while
 * they watch another one.
 *
 * Every stored timelapse carries when it was stored and how long its encode took, so afterwards each
 * measurement can be told whether an encode was running at that moment (`phase`), and the load records when
 * each of its jobs ran, from its post until the engine stored it as finished (`jobRuns`), so measurements that
 * overlapped a load job's own traffic can be left out.
 *
 * After each stored timelapse the load rests IDLE_MS, so the same run also holds moments with neither an encode
 * nor a load job: `phase` sorts each measurement into one of the three, and the benchmarks compare the encode's
 * samples with the idle ones taken minutes apart at most, on a machine whose other load changes by the minute.
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
/**
 * 20 previews a second, as a fast sampler sends them (a few a second is common). The first version of this load
 * sent 100 a second, 512 px each, which flooded the extension's pages far beyond what a ComfyUI does and kept
 * them busy well after each job ended, inside the encodes the benchmark measures.
 */
const LOAD_STEP_MS = 50;
/** Nothing between a stored timelapse and the next load job, for a baseline interleaved with the encodes. */
const IDLE_MS = 1500;

export interface EncodeInterval {
  start: number;
  end: number;
  /** The encode's own work (ms), without the rests it takes to leave the CPU to the pages. */
  encodeMs: number;
  frames: number;
  /** Stored size of the timelapse, bytes. */
  size: number;
  /** What was stored (`video/webm`, or `image/gif` where the browser could not encode video). */
  mime: string;
}

export type Span = { start: number; end: number };

/** What the load was doing over [start, end] (epoch ms): its own live job first, then an encode, else nothing. */
export function phase(
  encodes: readonly EncodeInterval[],
  jobRuns: readonly Span[],
  start: number,
  end = start,
): 'load job' | 'encode' | 'idle' {
  const overlaps = (list: readonly Span[]) => list.some((i) => i.start <= end && i.end >= start);
  if (overlaps(jobRuns)) return 'load job';
  return overlaps(encodes) ? 'encode' : 'idle';
}

export interface EncodeLoad {
  /** The encodes stored so far (epoch ms). */
  intervals(): Promise<EncodeInterval[]>;
  /** When each load job ran, from its post to its history entry (epoch ms): no encode of its own then. */
  jobRuns(): Span[];
  /** Stops queueing jobs, waits for the last encode, and returns every encode's interval (epoch ms). */
  stop(): Promise<EncodeInterval[]>;
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
async function timelapses(page: Page): Promise<
  {
    key: string;
    createdAt: number;
    encodeMs: number;
    frames: number;
    size: number;
    elapsedMs: number;
    mime: string;
  }[]
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
        mime: String(b.mime),
      }));
  }, `${LOAD_SERVER_ID}:`);
}

/** Whether the engine has stored the load job `promptId` as finished: it has handled all of its frames. */
async function engineFinished(page: Page, promptId: string): Promise<boolean> {
  return page.evaluate(async (key) => {
    const open = indexedDB.open('comfypulse');
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const rec = await new Promise<{ status?: string } | undefined>((resolve, reject) => {
      const r = db.transaction('jobs').objectStore('jobs').get(key);
      r.onsuccess = () => resolve(r.result as { status?: string } | undefined);
      r.onerror = () => reject(r.error);
    });
    db.close();
    return rec?.status === 'success';
  }, `${LOAD_SERVER_ID}:${promptId}`);
}

/** How many of the load server's timelapses are stored: primary keys only, cheap for the extension's process. */
async function storedCount(page: Page): Promise<number> {
  return page.evaluate(async (prefix) => {
    const open = indexedDB.open('comfypulse');
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
      const r = db.transaction('blobs').objectStore('blobs').index('kind').getAllKeys('timelapse');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    db.close();
    return keys.filter((k) => String(k).startsWith(prefix)).length;
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
  const runs: Span[] = [];
  let failure: unknown;
  const loop = (async () => {
    while (!stopping) {
      const start = Date.now();
      const id = await comfy.post('ok', { steps: LOAD_STEPS, delayMs: LOAD_STEP_MS });
      posted++;
      await comfy.waitForHistory(id);
      // the job's frames are still being handled until the engine has stored it as finished
      const caughtUp = Date.now() + 30_000;
      while (!(await engineFinished(page, id)) && Date.now() < caughtUp) await page.waitForTimeout(50);
      runs.push({ start, end: Date.now() });
      // the next job only once this one's timelapse is stored (see above)
      const deadline = Date.now() + 60_000;
      // polled slowly: the polling page's own work would otherwise be counted as the encode's
      while ((await storedCount(page)) < posted && Date.now() < deadline) await page.waitForTimeout(400);
      if (!stopping) await page.waitForTimeout(IDLE_MS);
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
    while ((await storedCount(page)) === 0) {
      if (failure) throw failure;
      if (Date.now() > first) throw new Error('the encode load produced no timelapse within 90 s');
      await page.waitForTimeout(200);
    }
  } catch (e) {
    await shutdown();
    throw e;
  }
  log(`encode load: ${url}, jobs of ${LOAD_STEPS} previews of 512 px, ${1000 / LOAD_STEP_MS} a second`);
  const intervals = async (): Promise<EncodeInterval[]> =>
    (await timelapses(page)).map((r) => ({
      // in progress from its start to its end, rests included
      start: r.createdAt - r.elapsedMs,
      end: r.createdAt,
      encodeMs: r.encodeMs,
      frames: r.frames,
      size: r.size,
      mime: r.mime,
    }));
  return {
    intervals,
    jobRuns: () => [...runs],
    async stop() {
      stopping = true;
      await loop;
      const all = await intervals();
      if (process.env.ENCODE_LOAD_DEBUG) {
        const t0 = runs[0]?.start ?? 0;
        for (const r of runs) log(`job ${r.start - t0}..${r.end - t0}`);
        for (const i of [...all].sort((a, b) => a.start - b.start))
          log(`encode ${Math.round(i.start - t0)}..${Math.round(i.end - t0)} work ${i.encodeMs}`);
      }
      await shutdown();
      if (failure) throw failure;
      return all;
    },
  };
}

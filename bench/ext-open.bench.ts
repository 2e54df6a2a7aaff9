/**
 * Time to open the popup and the side panel with 10,000 jobs in history until the list is usable
 * (issues 3 and 10, target <= 200 ms): from the start of navigation to the first entry of its list on screen:
 * a tile of the popup's gallery of latest results (an active job's card while one runs), a row of the side
 * panel's (virtualised) history. Measured twice in one run: with nothing else going on, then while a second
 * server keeps the engine encoding timelapses (`encode-load.ts`), counting the opens that overlapped one.
 *
 * The history is seeded straight into the extension's IndexedDB from one of its pages, after the extension
 * created its schema, with records shaped as lib/ext/db.ts declares them. Retention is raised first so the
 * extension keeps them all.
 */

import { JOB_ENTRY } from '../e2e/pages/jobs-view';
import { percentile, withBenchBrowser } from '../e2e/support/bench';
import { startSimulator } from '../sim';
import { type EncodeInterval, phase, startEncodeLoad } from './encode-load';
import type { Bench, BenchResult } from './types';

const JOBS = 10_000;
/** One open: ms from navigation start to the first entry painted, when it started, when the bundle ran. */
type Open = { ms: number; start: number; mount: number };
const OPENS = 11;
const MAX_OPENS = 40;
const TARGET_MS = 200;

const bench: Bench = async () => {
  return withBenchBrowser(
    'ext-open',
    (port) => startSimulator({ port, host: '127.0.0.1', originCheck: true }),
    async (browser) => {
      const options = await browser.openPage('options.html');
      // Wait for the extension to create its database (schema and default server) before seeding it.
      await options.waitForFunction(
        async () => (await indexedDB.databases()).some((d) => d.name === 'comfypulse'),
        undefined,
        { timeout: 20_000 },
      );
      // One transaction, and no named functions inside: tsx would wrap them in a `__name` helper that the
      // page does not have.
      const seeded = await options.evaluate(async (count) => {
        const open = indexedDB.open('comfypulse');
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          open.onsuccess = () => resolve(open.result);
          open.onerror = () => reject(open.error);
        });
        const tx = db.transaction(['servers', 'settings', 'jobs'], 'readwrite');
        const finished = new Promise<void>((resolve, reject) => {
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        });
        const servers = tx.objectStore('servers').getAll();
        servers.onsuccess = () => {
          // The extension creates its default server on install; should it not have yet, seed one like it.
          let serverId = (servers.result[0] as { id?: string } | undefined)?.id;
          if (!serverId) {
            serverId = 'bench-server';
            tx.objectStore('servers').put({
              id: serverId,
              name: 'bench',
              url: 'http://127.0.0.1:8188',
              tokenMode: 'query',
              enabled: true,
              clientId: 'comfypulse-bench',
              createdAt: Date.now(),
            });
          }
          tx.objectStore('settings').put({ key: 'retention', value: { maxJobs: 100_000, maxDays: 3650 } });
          const store = tx.objectStore('jobs');
          const now = Date.now();
          const statuses = ['success', 'success', 'success', 'error', 'interrupted', 'cancelled', 'lost'];
          for (let i = 0; i < count; i++) {
            const status = statuses[i % statuses.length] as string;
            const createdAt = now - (count - i) * 60_000;
            const promptId = `bench-${String(i).padStart(6, '0')}-0000-0000-000000000000`;
            store.put({
              key: `${serverId}:${promptId}`,
              serverId,
              promptId,
              status,
              active: 0,
              own: false,
              createdAt,
              queuedAt: createdAt,
              startedAt: createdAt + 100,
              endedAt: createdAt + 30_000,
              updatedAt: createdAt + 30_000,
              currentNode: null,
              progress: status === 'success' ? 1 : 0.5,
              nodes: {},
              classTypes: { '1': 'EmptyImage', '2': 'PeerSteps', '3': 'SaveImage' },
              outputs: {},
              previewCount: 0,
              notifiedAt: createdAt + 30_000,
              ...(status === 'error'
                ? { error: { nodeId: '2', nodeType: 'PeerSteps', message: 'seeded failure', traceback: [] } }
                : {}),
            });
          }
        };
        await finished;
        const counted = await new Promise<number>((resolve, reject) => {
          const r = db.transaction('jobs').objectStore('jobs').count();
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
        db.close();
        return counted;
      }, JOBS);
      if (seeded < JOBS) throw new Error(`seeding left ${seeded} jobs, expected ${JOBS}`);

      const results: BenchResult[] = [];
      const views = ['popup.html', 'sidepanel.html'];
      // Stamped inside the page: ms from navigation start (the page's time origin) until the first entry is
      // in the DOM, and until the frame after it, when it is on screen. A string, so tsx cannot rewrite it.
      // An entry is whatever shows a job: an active job's card, a history row, a tile of the popup's gallery.
      await browser.context.addInitScript(`(() => {
      if (!${JSON.stringify(views.map((v) => `/${v}`))}.includes(location.pathname)) return;
      const selector = ${JSON.stringify(JOB_ENTRY)};
      const mo = new MutationObserver(() => {
        if (!document.querySelector(selector)) return;
        mo.disconnect();
        const mount = performance.getEntriesByName('comfypulse:mount')[0];
        window.__cpFirstEntry = { origin: performance.timeOrigin, inDom: performance.now(), mount: mount ? mount.startTime : -1 };
        requestAnimationFrame(() => { window.__cpFirstEntry.painted = performance.now(); });
      });
      mo.observe(document, { subtree: true, childList: true });
    })()`);
      /**
       * Opens of one page: ms to the first entry painted, and when each open started (epoch ms). OPENS of them,
       * or, with `until`, as many as it takes (at most MAX_OPENS) until `until` says enough.
       */
      const opens = async (path: string, until?: (out: Open[]) => Promise<boolean>) => {
        const out: Open[] = [];
        let inDom = 0;
        for (let i = 0; i < (until ? MAX_OPENS : OPENS); i++) {
          if (until && i >= OPENS && (await until(out))) break;
          const page = await browser.context.newPage();
          await page.goto(`chrome-extension://${browser.extensionId}/${path}`, { waitUntil: 'commit' });
          await page.waitForSelector(JOB_ENTRY, { state: 'visible', timeout: 30_000 });
          const stamp = await page.waitForFunction(() => {
            const s = (window as { __cpFirstEntry?: { origin: number; painted?: number; mount: number } })
              .__cpFirstEntry;
            return s?.painted !== undefined ? { ms: s.painted, start: s.origin, mount: s.mount } : undefined;
          });
          out.push((await stamp.jsonValue()) as Open);
          inDom = await page.locator(JOB_ENTRY).count();
          await page.close();
        }
        return { out, inDom };
      };
      const label = (path: string) => path.replace('.html', '');
      const jobs = JOBS.toLocaleString('en-US');

      const quiet = new Map<string, Awaited<ReturnType<typeof opens>>>();
      for (const path of views) quiet.set(path, await opens(path));
      const load = await startEncodeLoad(browser, (line) => console.log(line));
      const loaded = new Map<string, Awaited<ReturnType<typeof opens>>>();
      let intervals: EncodeInterval[] = [];
      /** What the load did during open `o`: an encode (and no load job, whose live previews are not its cost)? */
      const phaseOf = (o: Open, encodes: EncodeInterval[]) =>
        phase(encodes, load.jobRuns(), o.start, o.start + o.ms);
      try {
        // encodes cover part of the time only: open until OPENS opens fell while one ran
        for (const path of views)
          loaded.set(
            path,
            await opens(path, async (out) => {
              const so = await load.intervals();
              return out.filter((o) => phaseOf(o, so) === 'encode').length >= OPENS;
            }),
          );
      } finally {
        intervals = await load.stop();
      }

      for (const path of views) {
        const { out, inDom } = quiet.get(path)!;
        const times = out.map((o) => o.ms);
        const median = percentile(times, 50);
        results.push({
          name: `open ${label(path)} with ${jobs} jobs to first entry, median`,
          value: median,
          unit: 'ms',
          target: `<= ${TARGET_MS}`,
          ok: median <= TARGET_MS,
          detail:
            `no encode running: navigation start -> first entry painted; ${OPENS} opens: ${times.map((t) => t.toFixed(0)).join(', ')} ms; ` +
            `bundle running at median ${percentile(
              out.map((o) => o.mount),
              50,
            ).toFixed(0)} ms; ${inDom} entries in the DOM`,
        });
      }
      for (const path of views) {
        const { out } = loaded.get(path)!;
        const overlapping = out.filter((o) => phaseOf(o, intervals) === 'encode');
        const duringJobs = out.filter((o) => phaseOf(o, intervals) === 'load job');
        const idle = out.filter((o) => phaseOf(o, intervals) === 'idle');
        const times = overlapping.map((o) => o.ms);
        const median = percentile(times, 50);
        const encodeMs = intervals.map((i) => i.encodeMs);
        results.push({
          name: `open ${label(path)} with ${jobs} jobs to first entry while a timelapse encodes, median`,
          value: median,
          unit: 'ms',
          target: `<= ${TARGET_MS}`,
          ok: times.length > 0 && median <= TARGET_MS,
          detail:
            `same run, right after: ${overlapping.length} of ${out.length} opens fell while an encode ran (and no load job): ` +
            `${times.map((t) => t.toFixed(0)).join(', ')} ms, bundle running at median ${percentile(
              overlapping.map((o) => o.mount),
              50,
            ).toFixed(0)} ms; ` +
            `${idle.length} opens fell while the load rested (no encode, no load job; the baseline of the same minutes): ` +
            `median ${medianText(idle.map((o) => o.ms))}; ` +
            `${duringJobs.length} opens overlapped a load job's own live previews: median ${medianText(
              duringJobs.map((o) => o.ms),
            )}; ` +
            `${intervals.length} timelapses of ${intervals[0]?.frames ?? '?'} frames (${intervals[0]?.mime ?? '?'}) from a ` +
            `second server (512 px previews), encode work median ${percentile(encodeMs, 50).toFixed(0)} ms`,
        });
      }
      return results;
    },
  );
};

export default bench;

/** `135 ms`, or `none` for no samples (a median of nothing is not a figure). */
function medianText(ms: number[]): string {
  return ms.length > 0 ? `${percentile(ms, 50).toFixed(0)} ms` : 'none';
}

/**
 * Latency from a frame leaving the simulator to the side panel's DOM showing it (issue 3, target p95 <= 50 ms).
 *
 * - The simulator runs in a child process that stamps each progress frame where it leaves, at
 *   `WebSocket.send` (e2e/support/sim-timed-main.ts). Both clocks are this machine's wall clock; the page's
 *   offset from Node's is measured by round trips (`clockOffset`).
 * - Jobs are posted without client_id, so progress, progress_state and previews are broadcast to the
 *   extension (comfyui-protocol.md §12). Each step's frames leave in one burst, STEP_MS apart.
 * - Measured twice in one run: first with nothing else going on, then while a second server keeps the
 *   engine encoding timelapses (`encode-load.ts`); the second figure counts only the updates that fell
 *   inside an encode and outside the load's own jobs, and measures jobs until at least MIN_ENCODING_SAMPLES did;
 *   the updates of that phase that fell while the load rested give a baseline from the same minutes.
 * - In the side panel a MutationObserver stamps every change of the job's progress bar (`aria-valuenow`)
 *   and preview (`src`) while the job runs. A change is attributed to the latest step that left before it;
 *   with steps STEP_MS apart this is exact while latency stays below STEP_MS, so a figure near STEP_MS
 *   would say the attribution itself is no longer trustworthy.
 */

import { jobEntry } from '../e2e/pages/jobs-view';
import { clockOffset, percentile, waitForConnected, withBenchBrowser } from '../e2e/support/bench';
import { ComfyDriver } from '../e2e/support/comfy';
import { startTimedSim } from '../e2e/support/sim-process';
import { coverage, type EncodeInterval, phase, startEncodeLoad } from './encode-load';
import type { Bench, BenchResult } from './types';

const RUNS = 3;
/** While encoding: at least this many progress updates inside an encode, from at most MAX_LOADED_RUNS jobs. */
const MIN_ENCODING_SAMPLES = 40;
const MAX_LOADED_RUNS = 12;
const STEPS = 20;
const STEP_MS = 400;
const TARGET_P95_MS = 50;

interface DomEvent {
  t: number;
  kind: 'progress' | 'preview';
  status: string;
}

declare global {
  interface Window {
    __cpLatency?: Record<string, DomEvent[]>;
  }
}

/** Animation frames a second the page gets now, and whether it says it is visible (over 500 ms). */
async function paintRate(page: import('@playwright/test').Page): Promise<string> {
  // a string, so tsx cannot wrap the named callback in its `__name` helper, which the page does not have
  const r = (await page.evaluate(`new Promise((resolve) => {
    let frames = 0;
    const start = performance.now();
    const tick = () => { frames++; if (performance.now() - start < 500) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
    setTimeout(() => resolve({ fps: frames * 2, visibility: document.visibilityState }), 520);
  })`)) as { fps: number; visibility: string };
  return `${r.visibility}, ${r.fps} frames/s`;
}

const bench: Bench = async () => {
  return withBenchBrowser(
    'ext-latency',
    (port) => startTimedSim(port),
    async (browser, sim) => {
      const page = await browser.openPage('sidepanel.html');
      await waitForConnected(page);
      const offset = await clockOffset(page);
      await page.evaluate(() => {
        const log: Record<string, DomEvent[]> = {};
        window.__cpLatency = log;
        const last = new Map<string, { now: string | null; src: string | null }>();
        new MutationObserver(() => {
          const t = performance.timeOrigin + performance.now();
          for (const card of document.querySelectorAll('[data-testid="job-card"][data-prompt-id]')) {
            const id = card.getAttribute('data-prompt-id') ?? '';
            const status = card.getAttribute('data-status') ?? '';
            const now = card.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow') ?? null;
            const src = card.querySelector('img[data-testid="job-preview"]')?.getAttribute('src') ?? null;
            const prev = last.get(id);
            log[id] ??= [];
            if (prev && now !== prev.now) log[id].push({ t, kind: 'progress', status });
            if (prev && src !== null && src !== prev.src) log[id].push({ t, kind: 'preview', status });
            last.set(id, { now, src });
          }
        }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      });

      const comfy = new ComfyDriver(sim.url);
      type Sample = { kind: DomEvent['kind']; at: number; ms: number };
      /** Runs `runs` measured jobs; every DOM update of a running job, with when (Node's clock) and how late. */
      const measure = async (runs: number) => {
        const samples: Sample[] = [];
        let unattributed = 0;
        for (let run = 0; run < runs; run++) {
          const id = await comfy.post('ok', { steps: STEPS, delayMs: STEP_MS });
          await comfy.waitForHistory(id);
          await page.waitForSelector(
            `${jobEntry(id)
              .split(', ')
              .map((e) => `${e}[data-status="success"]`)
              .join(', ')}`,
          );
          // Departure of each step: the first send about this prompt after a quiet gap.
          const departures: number[] = [];
          for (const d of sim.departures(id)) {
            const prev = departures.at(-1);
            if (prev === undefined || d.at - prev > STEP_MS / 2) departures.push(d.at);
          }
          const events = (await page.evaluate((pid) => window.__cpLatency?.[pid] ?? [], id)).filter(
            (e) => e.status === 'running',
          );
          for (const e of events) {
            const tNode = e.t - offset;
            const departed = departures.filter((d) => d <= tNode).at(-1);
            if (departed === undefined) unattributed++;
            else samples.push({ kind: e.kind, at: tNode, ms: tNode - departed });
          }
        }
        return { samples, unattributed };
      };
      const ms = (list: { ms: number }[]) => list.map((x) => x.ms);

      const quiet = await measure(RUNS);
      const before = await paintRate(page);
      const load = await startEncodeLoad(browser, (line) => console.log(line));
      // The load works in a page of its own, which takes the foreground; a side panel the user looks at keeps
      // painting, so the measured page is brought back (else it gets no animation frames and the UI's flush
      // waits for its 50 ms fallback timer, whether or not anything encodes).
      const behind = await paintRate(page);
      await page.bringToFront();
      const after = await paintRate(page);
      const loaded: Awaited<ReturnType<typeof measure>> = { samples: [], unattributed: 0 };
      let intervals: EncodeInterval[] = [];
      /** The loaded phase's progress updates that fell in `which` phase of the load (`phase`). */
      const progressIn = (which: ReturnType<typeof phase>, encodes: EncodeInterval[]) =>
        loaded.samples.filter((x) => x.kind === 'progress' && phase(encodes, load.jobRuns(), x.at) === which);
      try {
        // one job at a time until enough updates fell inside an encode (encodes cover part of the time only)
        for (let run = 0; run < MAX_LOADED_RUNS; run++) {
          const one = await measure(1);
          loaded.samples.push(...one.samples);
          loaded.unattributed += one.unattributed;
          const so = await load.intervals();
          if (run + 1 >= RUNS && progressIn('encode', so).length >= MIN_ENCODING_SAMPLES) break;
        }
      } finally {
        // the load server and its browser-side state go whatever happened, so the next bench starts clean
        intervals = await load.stop();
      }
      const progress = quiet.samples.filter((x) => x.kind === 'progress');
      const preview = quiet.samples.filter((x) => x.kind === 'preview');
      const loadedProgress = loaded.samples.filter((x) => x.kind === 'progress');
      const encoding = progressIn('encode', intervals);
      const idle = progressIn('idle', intervals);
      const duringJobs = progressIn('load job', intervals);
      const span = loaded.samples.length
        ? coverage(
            intervals,
            Math.min(...loaded.samples.map((x) => x.at)),
            Math.max(...loaded.samples.map((x) => x.at)),
          )
        : 0;
      const encodeMs = intervals.map((i) => i.encodeMs);

      const p50 = percentile(ms(progress), 50);
      const p95 = percentile(ms(progress), 95);
      const p95Encoding = percentile(ms(encoding), 95);
      const p95Idle = percentile(ms(idle), 95);
      const conditions = `${RUNS} jobs of ${STEPS} steps x ${STEP_MS} ms`;
      const results: BenchResult[] = [
        { name: 'frame -> side panel DOM, p50', value: p50, unit: 'ms' },
        {
          name: 'frame -> side panel DOM, p95',
          value: p95,
          unit: 'ms',
          target: `<= ${TARGET_P95_MS}`,
          ok: progress.length > 0 && p95 <= TARGET_P95_MS,
          detail:
            `no encode running: ${progress.length} progress and ${preview.length} preview DOM updates over ${conditions}; ` +
            `preview p95 ${percentile(ms(preview), 95).toFixed(1)} ms; ${quiet.unattributed} updates before any frame`,
        },
        {
          name: 'frame -> side panel DOM between encodes (same minutes), p95',
          value: p95Idle,
          unit: 'ms',
          detail:
            `the baseline interleaved with the encodes below: ${idle.length} progress updates while the load rested ` +
            `(no encode, no load job); p50 ${percentile(ms(idle), 50).toFixed(1)} ms; side panel ${before} before the ` +
            `load, ${behind} behind the load's page, ${after} brought back to the front`,
        },
        {
          name: 'frame -> side panel DOM while a timelapse encodes, p50',
          value: percentile(ms(encoding), 50),
          unit: 'ms',
        },
        {
          name: 'frame -> side panel DOM while a timelapse encodes, p95',
          value: p95Encoding,
          unit: 'ms',
          target: `<= ${TARGET_P95_MS}`,
          ok: encoding.length > 0 && p95Encoding <= TARGET_P95_MS,
          detail:
            `same run, right after: ${encoding.length} of ${loadedProgress.length} progress updates fell while an encode ran ` +
            `and no load job (${duringJobs.length} fell during a load job's own live traffic: p95 ${percentile(
              ms(duringJobs),
              95,
            ).toFixed(1)} ms) ` +
            `(encodes covered ${(span * 100).toFixed(0)}% of the measured span; all ${loadedProgress.length}: p95 ` +
            `${percentile(ms(loadedProgress), 95).toFixed(1)} ms); ${intervals.length} timelapses of ` +
            `${intervals[0]?.frames ?? '?'} frames (${intervals[0]?.mime ?? '?'}) from a second server (512 px previews), encode median ` +
            `${percentile(encodeMs, 50).toFixed(0)} ms, max ${Math.max(0, ...encodeMs).toFixed(0)} ms, stored size median ` +
            `${(
              percentile(
                intervals.map((i) => i.size),
                50,
              ) / 1024
            ).toFixed(0)} KiB`,
        },
      ];
      if (quiet.samples.length === 0) throw new Error('the side panel showed no live update at all');
      if (encoding.length === 0) throw new Error('no live update fell while a timelapse encoded');
      return results;
    },
  );
};

export default bench;

// Frame throughput of the protocol core: bare JSON.parse versus decode (FrameDecoder: JSON + zod
// validation + mapping) + tracking (reduceTracker), over the same frames, measured side by side in
// alternating chunks of one process (see sideBySide).
import { FrameDecoder } from '../lib/comfy/decode';
import { frameData, loadTraceLines, tracePromptId } from '../lib/comfy/testing/traces';
import { initialTrackerState, reduceTracker, type TrackerState } from '../lib/comfy/tracker';
import type { ApiPrompt } from '../lib/comfy/types';
import type { BenchResult } from './types';

const WARMUP_ROUNDS = 5;
const ROUNDS = 21;
const TARGET_RATIO = 2.0;
const TARGET_FPS = 100_000;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** A job that is running, as the tracker sees it when sampler ticks start flowing. */
function runningState(promptId: string, prompt: ApiPrompt) {
  let s: TrackerState = initialTrackerState;
  s = reduceTracker(s, { type: 'local:queued', promptId, own: true, number: 0, prompt }, 0);
  s = reduceTracker(s, { type: 'execution_start', promptId }, 1);
  return s;
}

/** Progress frames exactly as ComfyUI serialises them (Python json.dumps separators), ticking 1..max. */
function progressFrames(promptId: string, n: number, nodeCount: number, steps: number): string[] {
  const frames: string[] = [];
  for (let i = 0; i < n; i++) {
    const node = String((Math.floor(i / steps) % nodeCount) + 1);
    frames.push(
      `{"type": "progress", "data": {"value": ${(i % steps) + 1}, "max": ${steps}, "prompt_id": "${promptId}", "node": "${node}"}}`,
    );
  }
  return frames;
}

/** progress_state frames for a prompt of `nodeCount` nodes: earlier nodes finished, one running. */
function progressStateFrames(promptId: string, n: number, nodeCount: number, steps: number): string[] {
  const frames: string[] = [];
  for (let i = 0; i < n; i++) {
    const running = Math.floor(i / steps) % nodeCount;
    const nodes: Record<string, unknown> = {};
    for (let k = 0; k <= running; k++) {
      const id = String(k + 1);
      const fin = k < running;
      nodes[id] = {
        value: fin ? steps : (i % steps) + 1,
        max: steps,
        state: fin ? 'finished' : 'running',
        node_id: id,
        prompt_id: promptId,
        display_node_id: id,
        parent_node_id: null,
        real_node_id: id,
      };
    }
    frames.push(JSON.stringify({ type: 'progress_state', data: { prompt_id: promptId, nodes } }));
  }
  return frames;
}

interface SideBySide {
  parseFps: number;
  pipelineFps: number;
  ratio: number;
}

const CHUNK = 1000;

/**
 * Times bare JSON.parse and the pipeline over the same frames. The two alternate chunk by chunk, so
 * each chunk of the pipeline has a partner of bare parsing measured a millisecond earlier under the same
 * machine load. The ratio is the median over all those pairs (a preemption spoils one pair, not a
 * round); the rates are medians over the rounds.
 */
function sideBySide(
  frames: readonly (string | ArrayBuffer)[],
  start: () => TrackerState,
  /** Start from `start()` again every this many frames (one recorded run), as a client that forgets finished jobs. */
  resetEvery = Number.POSITIVE_INFINITY,
): SideBySide {
  let sink = 0;
  const pairRatios: number[] = [];
  const round = (measure: boolean) => {
    const decoder = new FrameDecoder();
    let state = start();
    let now = 1000;
    let untilReset = resetEvery;
    let parseMs = 0;
    let pipeMs = 0;
    for (let c = 0; c < frames.length; c += CHUNK) {
      const end = Math.min(c + CHUNK, frames.length);
      const t0 = performance.now();
      for (let i = c; i < end; i++) {
        const f = frames[i]!;
        // binary frames have no JSON to parse; the bare baseline only touches their length
        if (typeof f === 'string') sink += (JSON.parse(f) as { type: string }).type.length;
        else sink += f.byteLength;
      }
      const t1 = performance.now();
      for (let i = c; i < end; i++) {
        // A countdown, not `i % resetEvery`: modulo by Infinity is a float op that slowed this loop alone.
        if (untilReset === 0) {
          state = start();
          untilReset = resetEvery;
        }
        untilReset--;
        const ev = decoder.decode(frames[i]!);
        if (ev) state = reduceTracker(state, ev, now++);
      }
      const t2 = performance.now();
      parseMs += t1 - t0;
      pipeMs += t2 - t1;
      if (measure && end - c === CHUNK) pairRatios.push((t2 - t1) / (t1 - t0));
    }
    if (decoder.stats.parseErrors > 0)
      throw new Error(`bench frames gave ${decoder.stats.parseErrors} parse errors`);
    sink += Object.keys(state.jobs).length;
    return { parseMs, pipeMs };
  };
  for (let i = 0; i < WARMUP_ROUNDS; i++) round(false);
  const parse: number[] = [];
  const pipe: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const { parseMs, pipeMs } = round(true);
    parse.push(parseMs);
    pipe.push(pipeMs);
  }
  if (sink === -1) console.log('unreachable');
  return {
    parseFps: frames.length / (median(parse) / 1000),
    pipelineFps: frames.length / (median(pipe) / 1000),
    ratio: median(pairRatios),
  };
}

export default async function framesBench(): Promise<BenchResult[]> {
  const lines = loadTraceLines('ok');
  const promptId = tracePromptId(lines);
  const NODES = 3;
  const prompt: ApiPrompt = {};
  for (let k = 1; k <= 10; k++) prompt[String(k)] = { class_type: 'KSampler', inputs: {} };

  const progress = progressFrames(promptId, 20_000, NODES, 20);
  const p = sideBySide(progress, () => runningState(promptId, prompt));

  // The job map is copied per change, so ticks cost more as finished jobs pile up; clients prune them
  // (forgetJobs). This shows the cost with 50 jobs held.
  const crowded = () => {
    let s = runningState(promptId, prompt);
    for (let k = 0; k < 49; k++) {
      s = reduceTracker(s, { type: 'local:snapshot', promptId: `done-${k}`, status: 'success' }, 0);
    }
    return s;
  };
  const pc = sideBySide(progress, crowded);

  const states = progressStateFrames(promptId, 5_000, 10, 20);
  const ps = sideBySide(states, () => runningState(promptId, prompt));

  // The ok trace's submitter stream (status, execution_*, progress_state, progress, type-1 previews,
  // executed) repeated, each repeat into a fresh tracker. Its binary frames have no JSON, so the bare
  // baseline only reads their length: this ratio overstates the cost per parsed frame.
  const okFrames = lines
    .filter((l) => l.conn === 'submitter')
    .map(frameData)
    .filter((d) => d !== null);
  const mixed: (string | ArrayBuffer)[] = [];
  for (let i = 0; i < 200; i++) mixed.push(...okFrames);
  const m = sideBySide(mixed, () => initialTrackerState, okFrames.length);

  const detail = (s: SideBySide) =>
    `JSON.parse ${Math.round(s.parseFps).toLocaleString('en-US')}/s vs pipeline ${Math.round(s.pipelineFps).toLocaleString('en-US')}/s`;
  return [
    { name: 'progress: JSON.parse only', value: p.parseFps, unit: 'frames/s' },
    {
      name: 'progress: decode+validate+track',
      value: p.pipelineFps,
      unit: 'frames/s',
      target: `>= ${TARGET_FPS.toLocaleString('en-US')}`,
      ok: p.pipelineFps >= TARGET_FPS,
    },
    {
      name: 'progress: pipeline / JSON.parse time',
      value: p.ratio,
      unit: 'x',
      target: `<= ${TARGET_RATIO.toFixed(1)}x`,
      ok: p.ratio <= TARGET_RATIO,
      detail: detail(p),
    },
    {
      name: 'progress, 50 jobs tracked: decode+validate+track',
      value: pc.pipelineFps,
      unit: 'frames/s',
      detail: `ratio ${pc.ratio.toFixed(2)}x to JSON.parse`,
    },
    { name: 'progress_state (10 nodes): JSON.parse only', value: ps.parseFps, unit: 'frames/s' },
    { name: 'progress_state (10 nodes): decode+validate+track', value: ps.pipelineFps, unit: 'frames/s' },
    { name: 'progress_state (10 nodes): ratio', value: ps.ratio, unit: 'x', detail: detail(ps) },
    {
      name: 'ok trace stream (mixed, with previews): decode+validate+track',
      value: m.pipelineFps,
      unit: 'frames/s',
    },
    {
      name: 'ok trace stream: ratio to JSON.parse of its text frames',
      value: m.ratio,
      unit: 'x',
      detail: detail(m),
    },
  ];
}

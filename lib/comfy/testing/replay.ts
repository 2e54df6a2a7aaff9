/**
 * Test helper: replays a recorded trace through FrameDecoder -> reduceTracker, as a client holding
 * one tracker would, optionally announcing the prompt with `local:queued` when the recorded
 * `POST /prompt` answered (what the submitting client does).
 */
import { FrameDecoder } from '../decode';
import { initialTrackerState, reduceTracker, type TrackerState } from '../tracker';
import type { ComfyEvent } from '../types';
import { frameData, loadTraceLines, type TraceLine, traceHistoryEntry } from './traces';

export interface ReplayStep {
  line: TraceLine;
  /** null for frames the decoder drops (unknown binary types). */
  event: ComfyEvent | null;
  /** The tracker state after this frame. */
  state: TrackerState;
}

export interface ReplayResult {
  state: TrackerState;
  decoder: FrameDecoder;
  /** The decoded events, in order (dropped frames omitted). */
  events: ComfyEvent[];
  /** One step per fed frame, for assertions about the middle of a run. */
  steps: ReplayStep[];
}

export interface ReplayOptions {
  /** Which connections' frames to feed, in recorded (time) order. */
  conns: readonly string[];
  /** Feed `local:queued` (own, with the prompt from the recorded history) when POST /prompt answers. */
  announce?: boolean;
  /** Called after every frame (e.g. to check invariants). */
  onStep?: (state: TrackerState, event: ComfyEvent | null, line: TraceLine) => void;
}

export function replayTrace(name: string, opts: ReplayOptions): ReplayResult {
  return replayLines(loadTraceLines(name), opts);
}

export function replayLines(lines: TraceLine[], opts: ReplayOptions): ReplayResult {
  const decoder = new FrameDecoder();
  const events: ComfyEvent[] = [];
  const steps: ReplayStep[] = [];
  let state = initialTrackerState;
  for (const line of lines) {
    if (opts.announce && line.kind === 'http_response' && line.path === '/prompt' && line.status === 200) {
      const body = line.body as { prompt_id: string; number: number };
      const prompt = traceHistoryEntry(lines).prompt[2];
      state = reduceTracker(
        state,
        { type: 'local:queued', promptId: body.prompt_id, own: true, number: body.number, prompt },
        line.t_ms,
      );
      continue;
    }
    if (!opts.conns.includes(line.conn)) continue;
    const data = frameData(line);
    if (data === null) continue;
    const event = decoder.decode(data);
    if (event) {
      events.push(event);
      state = reduceTracker(state, event, line.t_ms);
    }
    steps.push({ line, event, state });
    opts.onStep?.(state, event, line);
  }
  return { state, decoder, events, steps };
}

/**
 * The timelapse recorder: the engine hands it every preview frame of a job (`addFrame`) and the job's end
 * (`finish`); it samples the frames evenly as they come, encodes the animation off the engine's thread
 * (a Worker, through `TimelapseEncoder`: WebM video, or a GIF where the browser cannot encode video) and
 * stores it with the job, within the byte budget.
 *
 * Invariants:
 * - Memory is bounded: at most `MAX_JOBS` jobs are sampled at once (the oldest is dropped beyond that),
 *   each holding at most `2 * maxFrames + 1` compressed frames of at most `MAX_FRAME_BYTES`, and about
 *   `MAX_HELD_BYTES` in all.
 * - Encodes run one at a time, in the order jobs ended, so a burst of job ends on several servers never
 *   runs several encoders on a 2-core machine at once.
 * - A timelapse is stored only while its job record exists (retention may have removed it meanwhile), and
 *   the byte budget is enforced right after, evicting the oldest timelapses first.
 * - A failed encode is logged and costs that job's timelapse only.
 */
import { liveQuery } from 'dexie';
import type { Clock, JobState } from '../../comfy/types';
import type { ComfyPulseDB } from '../db';
import { DEFAULT_SETTINGS, getSettings, type Settings } from '../settings';
import { enforceByteBudget } from '../storage/retention';
import type { EncodedTimelapse, EncodeRequest } from './encode';
import type { FrameBytes } from './rasterize';
import { EvenSampler } from './sampler';
import { storeTimelapse } from './store';

export const MAX_JOBS = 16;
export const MAX_HELD_BYTES = 32 * 1024 * 1024;
/** Larger "previews" are full-size images (SaveImageWebsocket), not frames of a run: never sampled. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

export interface TimelapseEncoder {
  /** Resolves to null when none of the frames could be decoded. */
  encode(request: EncodeRequest): Promise<EncodedTimelapse | null>;
  /** Asks an encode in progress to hold off for `ms` (between frames). */
  hold?(ms: number): void;
}

/**
 * How long an encode holds off when a page opens: the page's renderer, bundle and first query need the CPU
 * most then (`bench/ext-open.bench.ts`: first entry at about 150-200 ms), and a timelapse can wait.
 */
export const PAGE_OPEN_HOLD_MS = 500;

export type RecorderSettings = Pick<Settings, 'timelapse' | 'previewBudgetBytes'>;

export interface RecorderDeps {
  db: ComfyPulseDB;
  clock: Clock;
  encoder: TimelapseEncoder;
  log?(msg: string, e?: unknown): void;
}

export class TimelapseRecorder {
  private readonly jobs = new Map<string, EvenSampler<FrameBytes>>();
  private settings: RecorderSettings = {
    timelapse: DEFAULT_SETTINGS.timelapse,
    previewBudgetBytes: DEFAULT_SETTINGS.previewBudgetBytes,
  };
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: RecorderDeps) {}

  configure(settings: RecorderSettings): void {
    this.settings = settings;
    if (!settings.timelapse.enabled) this.jobs.clear();
  }

  /** One preview frame of a running job (the bytes are kept as given; the caller must not reuse them). */
  addFrame(jobKey: string, mime: string, bytes: Uint8Array): void {
    if (!this.settings.timelapse.enabled || bytes.byteLength > MAX_FRAME_BYTES) return;
    let sampler = this.jobs.get(jobKey);
    if (!sampler) {
      sampler = new EvenSampler<FrameBytes>(
        this.settings.timelapse.maxFrames,
        (f) => f.bytes.byteLength,
        MAX_HELD_BYTES,
      );
      this.jobs.set(jobKey, sampler);
      for (const key of this.jobs.keys()) {
        if (this.jobs.size <= MAX_JOBS) break;
        this.jobs.delete(key);
      }
    }
    sampler.add({ mime, bytes });
  }

  /** The job reached a terminal status and is stored: encode what was sampled. Resolves once stored. */
  finish(jobKey: string, _job?: JobState): Promise<void> {
    const sampler = this.jobs.get(jobKey);
    this.jobs.delete(jobKey);
    if (!sampler || sampler.count === 0 || !this.settings.timelapse.enabled) return this.chain;
    const frames = sampler.pick();
    const { maxSide } = this.settings.timelapse;
    this.chain = this.chain.then(() => this.encodeAndStore(jobKey, frames, maxSide));
    return this.chain;
  }

  /** A page of the extension opened: an encode in progress yields the CPU to it for a moment. */
  pageOpened(): void {
    this.deps.encoder.hold?.(PAGE_OPEN_HOLD_MS);
  }

  /** Resolves when every encode requested so far has been stored (or has failed). */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Jobs being sampled now (for tests and diagnostics). */
  get recording(): number {
    return this.jobs.size;
  }

  private async encodeAndStore(jobKey: string, frames: FrameBytes[], maxSide: number): Promise<void> {
    const { db, clock, encoder, log } = this.deps;
    try {
      const encoded = await encoder.encode({ frames, maxSide });
      if (!encoded) return;
      if (await storeTimelapse(db, jobKey, encoded, clock.now())) {
        await enforceByteBudget(db, this.settings.previewBudgetBytes);
      }
    } catch (e) {
      log?.(`timelapse of ${jobKey} failed`, e);
    }
  }
}

/** A recorder that follows the stored settings (any context may change them). */
export function startTimelapseRecorder(deps: RecorderDeps): { recorder: TimelapseRecorder; stop(): void } {
  const recorder = new TimelapseRecorder(deps);
  const sub = liveQuery(() => getSettings(deps.db)).subscribe({
    next: (s) => recorder.configure({ timelapse: s.timelapse, previewBudgetBytes: s.previewBudgetBytes }),
    error: (e) => deps.log?.('timelapse settings subscription failed', e),
  });
  return { recorder, stop: () => sub.unsubscribe() };
}

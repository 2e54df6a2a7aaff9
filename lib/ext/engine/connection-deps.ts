/**
 * What the engine gives each `ServerConnection`: the injected platform (Dexie, WebSocket, fetch, clock),
 * where its news goes (live channel, the engine's callbacks), and its settings.
 */
import type { ComfyError } from '../../comfy/errors';
import type { Clock, ConnectionState, FetchLike, JobState, Random, WebSocketCtor } from '../../comfy/types';
import type { ComfyPulseDB } from '../db';
import type { LiveMessage } from '../protocol';
import type { Flushed } from './writer';

export interface ConnectionDeps {
  db: ComfyPulseDB;
  WebSocket: WebSocketCtor;
  fetch: FetchLike;
  clock: Clock;
  random?: Random;
  broadcast(msg: LiveMessage): void;
  /** A job reached a terminal status and is stored (thumbnail included when there is one). */
  onFinished(jobKey: string): void;
  /** Something that changes the activity summary happened (throttled by the engine). */
  onActivity(): void;
  onFlushed?(f: Flushed): void;
  /** Every preview frame of a job, whatever the previews setting and size cap (those gate only the UI's copy). */
  onPreviewFrame?(frame: { jobKey: string; mime: string; bytes: Uint8Array }): void;
  /** A job's terminal transition (once per outcome), with its final state, before anything is stored. */
  onJobEnded?(jobKey: string, job: JobState): void;
  /** The plain-language detail for a non-connected state (localised by the engine). */
  describe(state: ConnectionState, error: ComfyError | null): string | undefined;
  previewsEnabled(): boolean;
  /** Retention, so history discovery never re-adds what retention removed. */
  retention?(): { maxJobs: number; maxDays: number };
  log?(msg: string, e?: unknown): void;
  timing?: Partial<ConnectionTiming>;
}

export interface ConnectionTiming {
  flushMs: number;
  pollMinMs: number;
  pollMaxMs: number;
  /** Terminal jobs stay in the tracker this long (late frames must not resurrect them). */
  forgetAfterMs: number;
  thumbMaxBytes: number;
  /** Larger preview frames are neither broadcast nor stored (the job still counts them). */
  previewMaxBytes: number;
}

export const DEFAULT_TIMING: ConnectionTiming = {
  flushMs: 250,
  pollMinMs: 2000,
  pollMaxMs: 10_000,
  forgetAfterMs: 60_000,
  thumbMaxBytes: 8 * 1024 * 1024,
  previewMaxBytes: 2 * 1024 * 1024,
};

/**
 * The timelapse's browser wiring in the engine's document (Chrome's offscreen document, Firefox's background
 * page): the recorder, its encoder Worker and the thumbnail scaler. The Worker is named in the form bundlers
 * recognise (`new Worker(new URL(…, import.meta.url))`). A page's GIFs are made by `gif-maker.ts`.
 */
import type { Clock } from '../../comfy/types';
import type { ComfyPulseDB } from '../db';
import { makeThumbnail } from '../media/thumbnail';
import type { EncodedTimelapse, EncodeRequest } from './encode';
import { startTimelapseRecorder, type TimelapseEncoder } from './recorder';
import { WorkerClient, type WorkerLike } from './worker-client';

export function workerTimelapseEncoder(clock: Clock): TimelapseEncoder & { close(): void } {
  const client = new WorkerClient<EncodeRequest, EncodedTimelapse | null>(
    () =>
      new Worker(new URL('./encode.worker.ts', import.meta.url), {
        type: 'module',
      }) as unknown as WorkerLike<EncodeRequest, EncodedTimelapse | null>,
    clock,
    'timelapse encode',
  );
  return {
    encode: (request) => client.call(request),
    hold: (ms) => client.hold(ms),
    close: () => client.close(),
  };
}

/** The recorder and the thumbnail scaler, as `startEngineHost` takes them. */
export function startMediaPipeline(deps: {
  db: ComfyPulseDB;
  clock: Clock;
  log(msg: string, e?: unknown): void;
}) {
  const encoder = workerTimelapseEncoder(deps.clock);
  const { recorder, stop } = startTimelapseRecorder({ ...deps, encoder });
  return {
    timelapse: recorder,
    thumbnail: (data: Blob) => makeThumbnail(data),
    stop() {
      stop();
      encoder.close();
    },
  };
}

/**
 * The timelapse's browser wiring, shared by the contexts that run it: the engine's document (Chrome's
 * offscreen document, Firefox's background page) records and encodes, a page makes GIFs on demand. The
 * Workers are named here, in the form bundlers recognise (`new Worker(new URL(…, import.meta.url))`).
 */
import type { Clock } from '../../comfy/types';
import type { ComfyPulseDB } from '../db';
import { makeThumbnail } from '../media/thumbnail';
import type { EncodedTimelapse, EncodeRequest } from './encode';
import { startTimelapseRecorder, type TimelapseEncoder } from './recorder';
import type { GifFromVideo } from './to-gif';
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
  return { encode: (request) => client.call(request), close: () => client.close() };
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

/** A GIF of a stored timelapse video, made in a Worker of this page. */
export function workerGifMaker(clock: Clock): (video: Blob) => Promise<Blob> {
  const client = new WorkerClient<{ video: Uint8Array }, GifFromVideo>(
    () =>
      new Worker(new URL('./gif.worker.ts', import.meta.url), {
        type: 'module',
      }) as unknown as WorkerLike<{ video: Uint8Array }, GifFromVideo>,
    clock,
    'GIF',
    120_000,
  );
  return async (video) => {
    const bytes = new Uint8Array(await video.arrayBuffer());
    const gif = await client.call({ video: bytes }, [bytes.buffer]);
    return new Blob([gif.bytes as BlobPart], { type: 'image/gif' });
  };
}

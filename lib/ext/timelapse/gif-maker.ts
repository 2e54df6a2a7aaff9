/**
 * A page's on-demand GIF of a stored timelapse video, made in a Worker of that page (`gif.worker.ts`), so the
 * page keeps rendering while the frames are decoded and quantised. Kept apart from `browser.ts` so pages do not
 * bundle the recorder.
 */
import type { Clock } from '../../comfy/types';
import type { GifFromVideo } from './to-gif';
import { WorkerClient, type WorkerLike } from './worker-client';

type Request = { video: Uint8Array };

export function workerGifMaker(clock: Clock): (video: Blob) => Promise<Blob> {
  const client = new WorkerClient<Request, GifFromVideo>(
    () =>
      new Worker(new URL('./gif.worker.ts', import.meta.url), {
        type: 'module',
      }) as unknown as WorkerLike<Request, GifFromVideo>,
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

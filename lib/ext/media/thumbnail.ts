/**
 * A real thumbnail of a job's output: ComfyUI's `/view` can re-encode but never resize, so what it sends
 * is the full-resolution image. This scales it to at most `THUMB_MAX_SIDE` px on the long side and stores
 * WebP, with the browser's own decoder and encoder (`createImageBitmap`, `OffscreenCanvas`). The full image
 * stays on the server; the job's detail links to it.
 */
import { browserCanvasEnv, type CanvasEnv, fitWithin } from './fit';

export const THUMB_MAX_SIDE = 256;
export const THUMB_QUALITY = 0.8;

/** Bytes in, WebP of at most `maxSide` px out. Throws when the image cannot be decoded. */
export async function makeThumbnail(
  data: Blob,
  env: CanvasEnv = browserCanvasEnv(),
  maxSide = THUMB_MAX_SIDE,
): Promise<Blob> {
  const bitmap = await env.createImageBitmap(data);
  try {
    const { width, height } = fitWithin(bitmap.width, bitmap.height, maxSide);
    const canvas = env.newCanvas(width, height);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d context on an OffscreenCanvas');
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, width, height);
    return await canvas.convertToBlob({ type: 'image/webp', quality: THUMB_QUALITY });
  } finally {
    bitmap.close();
  }
}

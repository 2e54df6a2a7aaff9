/**
 * Compressed preview frames (JPEG, PNG, WebP bytes) to RGBA pixels of one common size, with the browser's
 * own decoders (`createImageBitmap`, `OffscreenCanvas`), which exist in a Worker too. Injected, so the
 * sizing rules are testable without a browser.
 */
import { browserCanvasEnv, type CanvasEnv, fitWithin } from '../media/fit';
import type { RgbaFrame } from './gif';

export interface FrameBytes {
  mime: string;
  bytes: Uint8Array;
}

export type RasterEnv = CanvasEnv;

/**
 * Decodes every frame and scales it to the size of the first decodable one, fitted within `maxSide`.
 * A frame the browser cannot decode is skipped (a corrupt preview costs one frame, not the animation).
 */
export async function rasterize(
  frames: readonly FrameBytes[],
  maxSide: number,
  env: RasterEnv = browserCanvasEnv(),
  /** Awaited after each frame (the encoder paces itself through it). */
  afterFrame: () => Promise<void> = async () => undefined,
): Promise<RgbaFrame[]> {
  const out: RgbaFrame[] = [];
  let size: { width: number; height: number } | undefined;
  let ctx: OffscreenCanvasRenderingContext2D | null = null;
  for (const f of frames) {
    let bitmap: ImageBitmap;
    try {
      bitmap = await env.createImageBitmap(new Blob([f.bytes as BlobPart], { type: f.mime }));
    } catch {
      continue;
    }
    try {
      if (!size) {
        size = fitWithin(bitmap.width, bitmap.height, maxSide);
        ctx = env.newCanvas(size.width, size.height).getContext('2d', { willReadFrequently: true });
        if (!ctx) throw new Error('no 2d context on an OffscreenCanvas');
        ctx.imageSmoothingQuality = 'high';
      }
      ctx!.clearRect(0, 0, size.width, size.height);
      ctx!.drawImage(bitmap, 0, 0, size.width, size.height);
      const img = ctx!.getImageData(0, 0, size.width, size.height);
      out.push({ width: size.width, height: size.height, data: img.data });
    } finally {
      bitmap.close();
    }
    await afterFrame();
  }
  return out;
}

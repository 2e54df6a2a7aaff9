/**
 * Test doubles for the browser's image decoding: a "compressed frame" is `[r, g, b]` (a solid colour of
 * `SOURCE_WIDTH` x `SOURCE_HEIGHT`), and an empty one is undecodable, as a corrupt JPEG would be. Everything
 * after decoding (sampling, scaling arithmetic, GIF encoding, storage) is the real code.
 */
import type { FrameBytes, RasterEnv } from './rasterize';

export const SOURCE_WIDTH = 512;
export const SOURCE_HEIGHT = 384;

export function solidFrame(r: number, g: number, b: number): FrameBytes {
  return { mime: 'image/jpeg', bytes: new Uint8Array([r, g, b]) };
}

export function fakeRasterEnv(): RasterEnv {
  return {
    async createImageBitmap(blob: Blob) {
      const rgb = new Uint8Array(await blob.arrayBuffer());
      if (rgb.length !== 3)
        throw new DOMException('The source image could not be decoded.', 'InvalidStateError');
      return { width: SOURCE_WIDTH, height: SOURCE_HEIGHT, close() {}, rgb } as unknown as ImageBitmap;
    },
    newCanvas(width: number, height: number) {
      let fill: Uint8Array = new Uint8Array([0, 0, 0]);
      const ctx = {
        imageSmoothingQuality: 'low',
        clearRect() {},
        drawImage(bitmap: { rgb: Uint8Array }, _x: number, _y: number, w: number, h: number) {
          if (w !== width || h !== height)
            throw new Error(`drawn at ${w}x${h} on a ${width}x${height} canvas`);
          fill = bitmap.rgb;
        },
        getImageData(_x: number, _y: number, w: number, h: number) {
          const data = new Uint8ClampedArray(w * h * 4);
          for (let i = 0; i < w * h; i++) data.set([fill[0]!, fill[1]!, fill[2]!, 255], i * 4);
          return { width: w, height: h, data };
        },
      };
      return { width, height, getContext: () => ctx } as unknown as OffscreenCanvas;
    },
  };
}

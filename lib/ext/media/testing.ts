/**
 * Test doubles for the browser's image decoding: a "compressed frame" is `[r, g, b]` (a solid colour of
 * `SOURCE_WIDTH` x `SOURCE_HEIGHT`), and an empty one is undecodable, as a corrupt JPEG would be. Everything
 * after decoding (sampling, scaling arithmetic, GIF encoding, storage) is the real code.
 */
import type { FrameBytes } from '../timelapse/rasterize';
import type { CanvasEnv } from './fit';

export const SOURCE_WIDTH = 512;
export const SOURCE_HEIGHT = 384;

export function solidFrame(r: number, g: number, b: number): FrameBytes {
  return { mime: 'image/jpeg', bytes: new Uint8Array([r, g, b]) };
}

/** A canvas env whose decoded images are `width` x `height`; `convertToBlob` answers `<type> WxH`. */
export function fakeRasterEnv(width = SOURCE_WIDTH, height = SOURCE_HEIGHT): CanvasEnv {
  return {
    async createImageBitmap(blob: Blob) {
      const rgb = new Uint8Array(await blob.arrayBuffer());
      if (rgb.length !== 3)
        throw new DOMException('The source image could not be decoded.', 'InvalidStateError');
      return { width, height, close() {}, rgb } as unknown as ImageBitmap;
    },
    newCanvas(cw: number, ch: number) {
      let fill: Uint8Array = new Uint8Array([0, 0, 0]);
      const ctx = {
        imageSmoothingQuality: 'low',
        clearRect() {},
        drawImage(bitmap: { rgb: Uint8Array }, _x: number, _y: number, w: number, h: number) {
          if (w !== cw || h !== ch) throw new Error(`drawn at ${w}x${h} on a ${cw}x${ch} canvas`);
          fill = bitmap.rgb;
        },
        getImageData(_x: number, _y: number, w: number, h: number) {
          const data = new Uint8ClampedArray(w * h * 4);
          for (let i = 0; i < w * h; i++) data.set([fill[0]!, fill[1]!, fill[2]!, 255], i * 4);
          return { width: w, height: h, data };
        },
      };
      const convertToBlob = async (opts?: { type?: string }) =>
        new Blob([`${opts?.type ?? 'image/png'} ${cw}x${ch}`], { type: opts?.type ?? 'image/png' });
      return { width: cw, height: ch, getContext: () => ctx, convertToBlob } as unknown as OffscreenCanvas;
    },
  };
}

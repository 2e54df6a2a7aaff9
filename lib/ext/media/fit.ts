/** The largest size with `maxSide` on the long side and the same aspect; never upscales, never 0. */
export function fitWithin(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

/** The browser's image decoding and drawing, injected so the sizing logic is testable without one. */
export interface CanvasEnv {
  createImageBitmap(blob: Blob): Promise<ImageBitmap>;
  newCanvas(width: number, height: number): OffscreenCanvas;
}

export const browserCanvasEnv = (): CanvasEnv => ({
  createImageBitmap: (blob) => createImageBitmap(blob),
  newCanvas: (w, h) => new OffscreenCanvas(w, h),
});

/**
 * Runs in a plain page of Chromium or Firefox ESR (bundled by `ext-media.bench.ts`): encodes one job's worth of
 * JPEG previews with the extension's own code, as GIF and as WebM (VP8, VP9, AV1 at three bitrates each), on the
 * page's thread without pacing, then decodes every output with the browser's own decoders (ImageDecoder for
 * GIF, mediabunny + VideoDecoder for video) to count its frames and measure its quality (PSNR against the
 * previews as the extension scales them). Also times the on-demand GIF made from the default video.
 */
import { ALL_FORMATS, BufferSource, CanvasSink, Input } from 'mediabunny';
import { makeThumbnail } from '../lib/ext/media/thumbnail';
import { encodeTimelapse, pacer } from '../lib/ext/timelapse/encode';
import type { RgbaFrame } from '../lib/ext/timelapse/gif';
import { type FrameBytes, rasterize } from '../lib/ext/timelapse/rasterize';
import { gifFromVideo } from '../lib/ext/timelapse/to-gif';
import { DEFAULT_VIDEO, encodeWebm, type VideoCodecName } from '../lib/ext/timelapse/webm';

export interface FormatFigure {
  format: string;
  supported: boolean;
  bytes: number;
  encodeMs: number;
  decodedFrames: number;
  psnrDb: number;
}

/**
 * Frame k of n: noise resolving into a picture (sky, sun, hills, texture), like a diffusion preview. The
 * noise is blotchy (a coarse random grid, interpolated), as decoded latents look, not per-pixel static.
 */
function sourceFrame(k: number, n: number, side: number): ImageData {
  const img = new ImageData(side, side);
  const t = (k / Math.max(1, n - 1)) ** 0.7;
  let seed = 12345 + k * 977;
  const rnd = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const g = side / 16;
  const grid = Array.from({ length: (g + 2) * (g + 2) * 3 }, () => rnd() * 255);
  const at = (gx: number, gy: number, c: number) => grid[(gy * (g + 2) + gx) * 3 + c]!;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const u = x / side;
      const v = y / side;
      const hill = v > 0.6 + 0.08 * Math.sin(u * 9) + 0.04 * Math.sin(u * 23);
      const sun = (u - 0.7) ** 2 + (v - 0.3) ** 2 < 0.01;
      const tex = 0.06 * Math.sin(x * 0.9) * Math.sin(y * 0.7);
      const pic = sun
        ? [250, 220, 120]
        : hill
          ? [40 + 60 * v + 200 * tex, 110 + 40 * Math.sin(u * 40) + 300 * tex, 50]
          : [90 + 120 * v, 150 + 80 * v, 230 - 40 * v];
      const fx = u * g;
      const fy = v * g;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const ax = fx - x0;
      const ay = fy - y0;
      const i = (y * side + x) * 4;
      for (let c = 0; c < 3; c++) {
        const noise =
          (at(x0, y0, c) * (1 - ax) + at(x0 + 1, y0, c) * ax) * (1 - ay) +
          (at(x0, y0 + 1, c) * (1 - ax) + at(x0 + 1, y0 + 1, c) * ax) * ay;
        img.data[i + c] = noise * (1 - t) + pic[c]! * t;
      }
      img.data[i + 3] = 255;
    }
  }
  return img;
}

function psnr(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  let se = 0;
  let n = 0;
  for (let i = 0; i < a.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      const d = a[i + c]! - b[i + c]!;
      se += d * d;
      n++;
    }
  }
  const mse = se / n;
  return mse === 0 ? 99 : 10 * Math.log10((255 * 255) / mse);
}

async function decodeGif(bytes: Uint8Array, frames: RgbaFrame[]): Promise<{ count: number; psnr: number }> {
  const decoder = new ImageDecoder({ data: bytes, type: 'image/gif' });
  await decoder.tracks.ready;
  const count = decoder.tracks.selectedTrack?.frameCount ?? 0;
  const { width, height } = frames[0]!;
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true })!;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const { image } = await decoder.decode({ frameIndex: i });
    ctx.drawImage(image, 0, 0);
    image.close();
    sum += psnr(ctx.getImageData(0, 0, width, height).data, frames[i]!.data as Uint8ClampedArray);
  }
  decoder.close();
  return { count, psnr: count ? sum / count : 0 };
}

/** Decodes a WebM back (mediabunny + WebCodecs): frame count and mean PSNR against `frames`. */
async function decodeVideo(bytes: Uint8Array, frames: RgbaFrame[]): Promise<{ count: number; psnr: number }> {
  const input = new Input({ source: new BufferSource(bytes), formats: ALL_FORMATS });
  const track = (await input.getPrimaryVideoTrack())!;
  const { width, height } = frames[0]!;
  const sink = new CanvasSink(track, { poolSize: 1, width, height, fit: 'fill' });
  let count = 0;
  let sum = 0;
  for await (const wrapped of sink.canvases()) {
    const c = wrapped.canvas as OffscreenCanvas;
    const data = c.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, width, height).data;
    sum += psnr(data, frames[count]!.data as Uint8ClampedArray);
    count++;
  }
  input.dispose();
  return { count, psnr: count ? sum / count : 0 };
}

const CODECS: VideoCodecName[] = ['vp8', 'vp9', 'av1'];
const BITRATES = [150_000, 300_000, 600_000];

async function run(opts: { frames: number; sourceSide: number; side: number }): Promise<FormatFigure[]> {
  // Previews as ComfyUI sends them (JPEG), decoded and scaled by the extension's own code for the reference.
  const big = new OffscreenCanvas(opts.sourceSide, opts.sourceSide);
  const bigCtx = big.getContext('2d')!;
  const previews: FrameBytes[] = [];
  for (let k = 0; k < opts.frames; k++) {
    bigCtx.putImageData(sourceFrame(k, opts.frames, opts.sourceSide), 0, 0);
    const blob = await big.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    previews.push({ mime: 'image/jpeg', bytes: new Uint8Array(await blob.arrayBuffer()) });
  }
  const reference = await rasterize(previews, opts.side);
  const out: FormatFigure[] = [];
  {
    const t0 = performance.now();
    const gif = await encodeTimelapse({ frames: previews, maxSide: opts.side, format: 'gif' });
    const encodeMs = performance.now() - t0;
    const decoded = await decodeGif(gif!.bytes, reference);
    out.push({
      format: 'GIF (gifenc, one palette)',
      supported: true,
      bytes: gif!.bytes.byteLength,
      encodeMs,
      decodedFrames: decoded.count,
      psnrDb: decoded.psnr,
    });
  }
  let chosen: Uint8Array | undefined;
  for (const codec of CODECS) {
    for (const bitrate of BITRATES) {
      const settings = { ...DEFAULT_VIDEO, codecs: [codec], bitrate };
      const isDefault = codec === DEFAULT_VIDEO.codecs[0] && bitrate === DEFAULT_VIDEO.bitrate;
      const format = `WebM ${codec.toUpperCase()} ${bitrate / 1000} kbps${isDefault ? ' (the default)' : ''}`;
      const t0 = performance.now();
      const r = await encodeWebm(previews, opts.side, pacer(0), { settings });
      const encodeMs = performance.now() - t0;
      if (!r.ok || !r.result) {
        out.push({ format, supported: false, bytes: 0, encodeMs: 0, decodedFrames: 0, psnrDb: 0 });
        continue;
      }
      if (isDefault) chosen = r.result.bytes;
      const decoded = await decodeVideo(r.result.bytes, reference);
      out.push({
        format,
        supported: true,
        bytes: r.result.bytes.byteLength,
        encodeMs,
        decodedFrames: decoded.count,
        psnrDb: decoded.psnr,
      });
    }
  }
  if (chosen) {
    // what a user's "GIF" click costs: the stored video decoded and written as a GIF
    const t0 = performance.now();
    const gif = await gifFromVideo(chosen);
    const encodeMs = performance.now() - t0;
    const decoded = await decodeGif(gif.bytes, reference);
    out.push({
      format: 'GIF made on demand from the default video',
      supported: true,
      bytes: gif.bytes.byteLength,
      encodeMs,
      decodedFrames: decoded.count,
      psnrDb: decoded.psnr,
    });
  }
  return out;
}

export interface ThumbFigure {
  side: number;
  /** What ComfyUI's `/view?preview=webp;90` sends: the full image, re-encoded as WebP at quality 90. */
  fullBytes: number;
  /** What the extension stores now: `makeThumbnail` of that. */
  thumbBytes: number;
  thumbWidth: number;
  thumbHeight: number;
  thumbType: string;
}

/** A generated output of `side` px (the picture of `sourceFrame` plus photographic grain), before and after. */
async function thumbs(opts: { sides: number[] }): Promise<ThumbFigure[]> {
  const out: ThumbFigure[] = [];
  for (const side of opts.sides) {
    const img = sourceFrame(1, 1, side);
    let seed = 99;
    for (let i = 0; i < img.data.length; i += 4) {
      seed = (seed * 16807) % 2147483647;
      const grain = (seed / 2147483647 - 0.5) * 24;
      for (let c = 0; c < 3; c++) img.data[i + c] = img.data[i + c]! + grain;
    }
    const canvas = new OffscreenCanvas(side, side);
    canvas.getContext('2d')!.putImageData(img, 0, 0);
    const full = await canvas.convertToBlob({ type: 'image/webp', quality: 0.9 });
    const thumb = await makeThumbnail(full);
    const bitmap = await createImageBitmap(thumb);
    out.push({
      side,
      fullBytes: full.size,
      thumbBytes: thumb.size,
      thumbWidth: bitmap.width,
      thumbHeight: bitmap.height,
      thumbType: thumb.type,
    });
    bitmap.close();
  }
  return out;
}

Object.assign(window, { runFormatBench: run, runThumbBench: thumbs });

/**
 * The IMAGE type of the simulated nodes (a batch of float RGB pixels, like ComfyUI's [B,H,W,C] tensor),
 * a real PNG encoder for SaveImage/PreviewImage, torch's tensor repr (used in `execution_error.current_inputs`)
 * and the JPEG preview frames PeerSteps sends.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

export interface ImageBatch {
  readonly width: number;
  readonly height: number;
  /** One Float32Array per batch item: RGB interleaved, row-major, values in [0, 1]. */
  readonly images: Float32Array[];
}

export function solidBatch(width: number, height: number, batch: number, rgb: [number, number, number]) {
  const images: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const px = new Float32Array(width * height * 3);
    for (let i = 0; i < width * height; i++) {
      px[i * 3] = rgb[0];
      px[i * 3 + 1] = rgb[1];
      px[i * 3 + 2] = rgb[2];
    }
    images.push(px);
  }
  return { width, height, images } satisfies ImageBatch;
}

export function mapBatch(batch: ImageBatch, fn: (v: number) => number): ImageBatch {
  return {
    width: batch.width,
    height: batch.height,
    images: batch.images.map((px) => px.map((v) => fn(v))),
  };
}

/** Nearest-neighbour sample of `batch` item `b` at (x, y) of a `w`x`h` target. */
export function sample(batch: ImageBatch, b: number, x: number, y: number, w: number, h: number) {
  const px = batch.images[Math.min(b, batch.images.length - 1)]!;
  const sx = Math.min(batch.width - 1, Math.floor((x * batch.width) / w));
  const sy = Math.min(batch.height - 1, Math.floor((y * batch.height) / h));
  const i = (sy * batch.width + sx) * 3;
  return [px[i]!, px[i + 1]!, px[i + 2]!] as const;
}

// ---------------------------------------------------------------- PNG

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** 8-bit RGB PNG of one batch item, with `tEXt` chunks like PIL's PngInfo (SaveImage stores the prompt). */
export function encodePng(batch: ImageBatch, index: number, text: Record<string, string> = {}): Buffer {
  const { width, height } = batch;
  const px = batch.images[index]!;
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let i = 0; i < width * 3; i++) {
      const v = px[y * width * 3 + i]!;
      raw[row + 1 + i] = Math.max(0, Math.min(255, Math.round(v * 255)));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  const texts = Object.entries(text).map(([k, v]) => chunk('tEXt', Buffer.from(`${k}\0${v}`, 'latin1')));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...texts,
    chunk('IDAT', deflateSync(raw, { level: 4 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

// ---------------------------------------------------------------- torch repr

const EDGE = 3;
const THRESHOLD = 1000;

/** `str(tensor)` for a [B,H,W,3] float tensor, as torch prints it (summarised, 4 decimals). */
export function torchRepr(batch: ImageBatch): string {
  const shape = [batch.images.length, batch.height, batch.width, 3];
  const numel = shape.reduce((a, b) => a * b, 1);
  const summarize = numel > THRESHOLD;
  const at = (idx: number[]) => batch.images[idx[0]!]![(idx[1]! * batch.width + idx[2]!) * 3 + idx[3]!]!;
  const indices = (size: number) =>
    summarize && size > 2 * EDGE
      ? [...Array(EDGE).keys(), -1, ...Array.from({ length: EDGE }, (_, i) => size - EDGE + i)]
      : [...Array(size).keys()];
  // The formatter sees only the values that get printed.
  const shown: number[] = [];
  const collect = (prefix: number[]) => {
    if (prefix.length === 4) {
      shown.push(at(prefix));
      return;
    }
    for (const i of indices(shape[prefix.length]!)) if (i >= 0) collect([...prefix, i]);
  };
  collect([]);
  const intMode = shown.every((v) => Number.isInteger(v));
  const fmt = (v: number) => (intMode ? `${v.toFixed(0)}.` : v.toFixed(4));
  const width = Math.max(...shown.map((v) => fmt(v).length));
  const render = (prefix: number[], indent: number): string => {
    const dim = 4 - prefix.length;
    const parts = indices(shape[prefix.length]!).map((i) => {
      if (i < 0) return '...';
      return dim === 1 ? fmt(at([...prefix, i])).padStart(width) : render([...prefix, i], indent + 1);
    });
    if (dim === 1) return `[${parts.join(', ')}]`;
    return `[${parts.join(`,${'\n'.repeat(dim - 1)}${' '.repeat(indent + 1)}`)}]`;
  };
  return `tensor(${render([], 'tensor('.length)})`;
}

// ---------------------------------------------------------------- previews

let previewPool: Buffer[] | null = null;

/**
 * JPEG frames recorded from the real PeerSteps (64x64), in file order: 01-08 are an 8-step run, 09-11 a
 * 3-step run, 12-20 steps 1-3 and 7-12 of a 12-step run (the real frame depends on step/steps only, not
 * on the seed). Those runs are reproduced byte for byte; other steps cycle through the pool.
 */
export function previewFrames(): Buffer[] {
  if (!previewPool) {
    const dir = new URL('./assets/previews/', import.meta.url);
    previewPool = readdirSync(dir)
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .map((f) => readFileSync(new URL(f, dir)));
  }
  return previewPool;
}

/** Pool indices of the recorded frames, per total step count (null: not recorded). */
const RECORDED: Record<number, (number | null)[]> = {
  8: [0, 1, 2, 3, 4, 5, 6, 7],
  3: [8, 9, 10],
  12: [11, 12, 13, null, null, null, 14, 15, 16, 17, 18, 19],
};

/** The preview PeerSteps sends after `step` of `steps`; consecutive steps never share a frame. */
export function previewFor(step: number, steps = 8): Buffer {
  const pool = previewFrames();
  const recorded = RECORDED[steps]?.[step - 1];
  if (recorded !== undefined && recorded !== null) return pool[recorded]!;
  return pool[(step - 1) % pool.length]!;
}

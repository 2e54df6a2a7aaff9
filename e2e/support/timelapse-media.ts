/**
 * Decoder-side checks of timelapse files, used by every spec that gets one (the extension's download, the
 * media spec's Worker output): never trust the encoder, read the file back with an independent decoder.
 * - WebM: the EBML magic, then mediabunny's demuxer (pure TypeScript, no WebCodecs needed in Node): codec, size,
 *   frame (packet) count, duration.
 * - GIF: the signature, then omggif: frame count, size, per-frame delays, every frame decodable.
 *
 * Also serves the media spec's page: the harness and the real Worker files, bundled by esbuild.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { build } from 'esbuild';
import { BufferSource, EncodedPacketSink, Input, WEBM } from 'mediabunny';
import { GifReader } from 'omggif';
import { ROOT } from './build';
import { blockColour } from './timelapse-media-frames';
import type { TimelapseMediaApi } from './timelapse-media-page';

export const EBML_MAGIC = [0x1a, 0x45, 0xdf, 0xa3];

export interface WebmFacts {
  codec: string | null;
  width: number;
  height: number;
  frames: number;
  keyFrames: number;
  durationS: number;
}

export async function webmFacts(bytes: Uint8Array): Promise<WebmFacts> {
  const magic = Array.from(bytes.subarray(0, 4));
  if (magic.join() !== EBML_MAGIC.join())
    throw new Error(`not a WebM/Matroska file: starts ${magic.join(' ')}`);
  const input = new Input({ source: new BufferSource(bytes), formats: [WEBM] });
  try {
    if ((await input.getFormat()) !== WEBM) throw new Error('not a WebM file');
    const track = await input.getPrimaryVideoTrack();
    if (!track) throw new Error('the WebM has no video track');
    let frames = 0;
    let keyFrames = 0;
    for await (const packet of new EncodedPacketSink(track).packets()) {
      frames++;
      if (packet.type === 'key') keyFrames++;
    }
    return {
      codec: track.codec,
      width: track.displayWidth,
      height: track.displayHeight,
      frames,
      keyFrames,
      durationS: (await input.getDurationFromMetadata()) ?? (await track.computeDuration()),
    };
  } finally {
    input.dispose();
  }
}

export interface GifFacts {
  width: number;
  height: number;
  frames: number;
  /** Per frame, centiseconds. */
  delays: number[];
  /** RGBA of each frame, as a viewer would show it. */
  pixels: Uint8Array[];
}

export function gifFacts(bytes: Uint8Array): GifFacts {
  const sig = new TextDecoder().decode(bytes.subarray(0, 6));
  if (sig !== 'GIF89a') throw new Error(`not a GIF89a file: starts ${JSON.stringify(sig)}`);
  const reader = new GifReader(bytes);
  const delays: number[] = [];
  const pixels: Uint8Array[] = [];
  for (let i = 0; i < reader.numFrames(); i++) {
    delays.push(reader.frameInfo(i).delay);
    const rgba = new Uint8Array(reader.width * reader.height * 4);
    reader.decodeAndBlitFrameRGBA(i, rgba);
    pixels.push(rgba);
  }
  return { width: reader.width, height: reader.height, frames: reader.numFrames(), delays, pixels };
}

/** Serves the media harness page and the extension's two timelapse Workers on 127.0.0.1 (a secure context). */
export async function serveTimelapseMedia(): Promise<{ url: string; close(): Promise<void> }> {
  const bundle = (entry: string, format: 'iife' | 'esm') =>
    build({ entryPoints: [join(ROOT, entry)], bundle: true, format, write: false, target: 'es2022' }).then(
      (r) => r.outputFiles[0]!.text,
    );
  const files: Record<string, string> = {
    '/page.js': await bundle('e2e/support/timelapse-media-page.ts', 'iife'),
    '/encode.worker.js': await bundle('lib/ext/timelapse/encode.worker.ts', 'esm'),
    '/gif.worker.js': await bundle('lib/ext/timelapse/gif.worker.ts', 'esm'),
  };
  const server: Server = createServer((req, res) => {
    const js = files[req.url ?? ''];
    if (js) res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><script src="/page.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Calls a method of the harness page (`timelapse-media-page.ts`) in whichever browser runs it. */
export type MediaCall = <K extends keyof TimelapseMediaApi>(
  method: K,
  arg: Parameters<TimelapseMediaApi[K]>[0],
) => Promise<Awaited<ReturnType<TimelapseMediaApi[K]>>>;

const bytesOf = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

/**
 * The checks both browsers run: previews through the real encode Worker into WebM, read back by the demuxer;
 * that WebM through the real GIF Worker, read back by omggif, frame for frame and colour for colour.
 */
export const mediaScenarios = {
  async videoAndGif(call: MediaCall, n: number) {
    const enc = await call('encode', { frames: n, width: 512, height: 384, maxSide: 256 });
    expect(enc, 'an encode result').not.toBeNull();
    expect(enc).toMatchObject({ mime: 'video/webm', codec: 'av1', frames: n, width: 256, height: 192 });
    expect(enc!.fallback).toBeUndefined();
    const video = await webmFacts(bytesOf(enc!.b64));
    expect(video).toMatchObject({ codec: 'av1', width: 256, height: 192, frames: n, keyFrames: 1 });
    // 100 ms per frame, the last one held 1.5 s
    expect(video.durationS).toBeCloseTo((n - 1) * 0.1 + 1.5, 2);

    const made = await call('gif', enc!.b64);
    expect(made).toMatchObject({ frames: n, width: 256, height: 192 });
    const gif = gifFacts(bytesOf(made.b64));
    expect(gif.frames).toBe(n);
    expect([gif.width, gif.height]).toEqual([256, 192]);
    expect(gif.delays).toEqual([...Array(n - 1).fill(10), 150]);
    // the GIF shows what went in: each block's centre, in the first and the last frame, within the losses
    // of JPEG + AV1 + a 256-colour palette
    for (const i of new Set([0, n - 1])) {
      for (let b = 0; b < 12; b++) {
        const x = Math.floor(((b % 4) + 0.5) * 64);
        const y = Math.floor((Math.floor(b / 4) + 0.5) * 64);
        const o = (y * 256 + x) * 4;
        const got = Array.from(gif.pixels[i]!.subarray(o, o + 3));
        const want = blockColour(i, n, b);
        for (let c = 0; c < 3; c++)
          expect(Math.abs(got[c]! - want[c]!), `frame ${i} block ${b}`).toBeLessThan(28);
      }
    }
  },

  async corruptPreviewSkipped(call: MediaCall) {
    const enc = await call('encode', { frames: 5, width: 128, height: 128, maxSide: 256, corruptAt: [2] });
    expect(enc?.frames).toBe(5);
    expect((await webmFacts(bytesOf(enc!.b64))).frames).toBe(5);
  },

  async gifRequested(call: MediaCall) {
    const enc = await call('encode', { frames: 12, width: 64, height: 64, maxSide: 256, format: 'gif' });
    expect(enc).toMatchObject({ mime: 'image/gif', frames: 12, width: 64, height: 64 });
    expect(gifFacts(bytesOf(enc!.b64)).frames).toBe(12);
  },
};

/** Registers the media scenarios as tests of the calling spec file, for the browser `call` reaches. */
export function mediaTests(call: () => MediaCall, codec = 'AV1'): void {
  for (const n of [1, 12, 64]) {
    test(`${n} previews make a ${n}-frame ${codec} WebM, and its GIF has ${n} frames of the same pictures`, async () => {
      await mediaScenarios.videoAndGif(call(), n);
    });
  }
  test('an undecodable preview costs its frame only', async () => {
    await mediaScenarios.corruptPreviewSkipped(call());
  });
  test('a GIF, when asked for one, decodes to every frame', async () => {
    await mediaScenarios.gifRequested(call());
  });
}

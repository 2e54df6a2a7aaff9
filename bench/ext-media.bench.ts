/**
 * Media of issue 10, measured in Debian's headless Chromium on this machine.
 *
 * Thumbnails: the storage of 1,000 jobs' output thumbnails before (what ComfyUI's `/view?preview=webp;90`
 * returns, the full image as WebP 90, which the extension stored as is) and after (`makeThumbnail`: at most
 * 256 px, WebP), for generated 1024 and 1536 px outputs with photographic grain.
 *
 * The timelapse format: one job's worth of previews (64 JPEGs of 512 px, noise resolving into a picture, scaled
 * to the default 256 px) encoded by the extension's own code as GIF and as WebM through WebCodecs and mediabunny
 * (VP8, VP9, AV1, each at three bitrates), in Debian's headless Chromium and then in Firefox ESR on this machine.
 * Every output is decoded back by the browser to count its frames and to measure its quality as PSNR against
 * the scaled previews. All formats of one browser run one after another in one page.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { build } from 'esbuild';
import puppeteer from 'puppeteer-core';
import { CHROMIUM, ROOT } from '../e2e/support/build';
import { FIREFOX } from '../e2e-firefox/support/firefox';
import type { FormatFigure, ThumbFigure } from './format-page';
import type { Bench, BenchResult } from './types';

const FRAMES = 64;
const JOBS = 1000;

type FormatBench = (o: { frames: number; sourceSide: number; side: number }) => Promise<FormatFigure[]>;
const FORMAT_OPTS = { frames: FRAMES, sourceSide: 512, side: 256 };

const bench: Bench = async () => {
  const bundle = await build({
    entryPoints: [join(ROOT, 'bench/format-page.ts')],
    bundle: true,
    format: 'iife',
    write: false,
    target: 'es2022',
  });
  const script = bundle.outputFiles[0]!.text;
  // WebCodecs needs a secure context: a page on 127.0.0.1 is one.
  const server = createServer((req, res) => {
    if (req.url === '/bench.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><script src="/bench.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    const rows: FormatFigure[] = await page.evaluate(
      (opts) => (window as unknown as { runFormatBench: FormatBench }).runFormatBench(opts),
      FORMAT_OPTS,
    );
    const results: BenchResult[] = [];
    const thumbs: ThumbFigure[] = await page.evaluate(
      (opts) =>
        (window as unknown as { runThumbBench(o: typeof opts): Promise<ThumbFigure[]> }).runThumbBench(opts),
      { sides: [1024, 1536] },
    );
    await browser.close();
    for (const t of thumbs) {
      const mib = (b: number) => (b * JOBS) / 1048576;
      results.push({
        name: `thumbnails of ${JOBS.toLocaleString('en-US')} jobs with ${t.side} px outputs, after (<= 256 px WebP)`,
        value: mib(t.thumbBytes),
        unit: 'MiB',
        target: '<= 256 px, WebP',
        ok: Math.max(t.thumbWidth, t.thumbHeight) <= 256 && t.thumbType === 'image/webp',
        detail:
          `before (the full image as /view?preview=webp;90 sends it): ${mib(t.fullBytes).toFixed(1)} MiB; ` +
          `${(t.fullBytes / t.thumbBytes).toFixed(1)}x smaller; per job ${(t.fullBytes / 1024).toFixed(0)} KiB -> ` +
          `${(t.thumbBytes / 1024).toFixed(1)} KiB (${t.thumbWidth}x${t.thumbHeight})`,
      });
    }
    results.push(...formatResults('Chromium', rows));
    // The same page in Firefox ESR: what it can encode and decode, and at what cost.
    const firefox = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      protocolTimeout: 600_000,
    });
    try {
      const ff = await firefox.newPage();
      await ff.goto(url);
      const ffRows = await ff.evaluate(
        (opts) => (window as unknown as { runFormatBench: FormatBench }).runFormatBench(opts),
        FORMAT_OPTS,
      );
      results.push(...formatResults('Firefox ESR', ffRows));
    } catch (e) {
      results.push({
        name: `Firefox ESR: the format bench failed: ${String(e)}`,
        value: 0,
        unit: '',
        ok: false,
      });
    } finally {
      await firefox.close();
    }
    return results;
  } finally {
    await browser.close();
    server.close();
  }
};

function formatResults(browserName: string, rows: FormatFigure[]): BenchResult[] {
  const gif = rows[0]!;
  return rows.map((r): BenchResult => {
    if (!r.supported) return { name: `${browserName}: ${r.format}: not supported`, value: 0, unit: '' };
    const checked = r === gif || r.format.includes('(the default)') || r.format.startsWith('GIF made');
    return {
      name: `${browserName}: timelapse ${FRAMES} frames 256 px, ${r.format}: size`,
      value: r.bytes / 1024,
      unit: 'KiB',
      ...(checked ? { target: `${FRAMES} frames decoded`, ok: r.decodedFrames === FRAMES } : {}),
      detail:
        `encode ${r.encodeMs.toFixed(0)} ms on the page's thread, unpaced (JPEG decode + scale included); ` +
        `decoded back: ${r.decodedFrames} frames, PSNR ${r.psnrDb.toFixed(1)} dB; ${(r.bytes / gif.bytes).toFixed(2)}x the GIF's size`,
    };
  });
}

export default bench;

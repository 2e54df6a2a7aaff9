/**
 * The timelapse's media in Debian's Chromium, outside the extension: real JPEG previews through the
 * extension's own encode Worker (WebCodecs AV1 in WebM via mediabunny) and its on-demand GIF Worker
 * (WebCodecs decode, gifenc), each output read back by an independent decoder in Node. The same scenarios run
 * in Firefox ESR (`e2e-firefox/timelapse-media.spec.ts`).
 */
import { type Browser, chromium, test } from '@playwright/test';
import { CHROMIUM } from './support/build';
import { type MediaCall, mediaTests, serveTimelapseMedia } from './support/timelapse-media';

let browser: Browser;
let server: Awaited<ReturnType<typeof serveTimelapseMedia>>;
let call: MediaCall;

test.beforeAll(async () => {
  server = await serveTimelapseMedia();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage();
  await page.goto(server.url);
  call = ((method, arg) =>
    page.evaluate(
      ([m, a]) =>
        (window as unknown as { timelapseMedia: Record<string, (x: unknown) => Promise<unknown>> })
          .timelapseMedia[m as string]!(a),
      [method, arg] as const,
    )) as MediaCall;
});

test.afterAll(async () => {
  await browser?.close();
  await server?.close();
});

mediaTests(() => call);

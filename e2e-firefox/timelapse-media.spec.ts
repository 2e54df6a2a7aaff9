/**
 * The timelapse's media in Firefox ESR, outside the extension: the scenarios of the Chromium spec
 * (`e2e/timelapse-media.spec.ts`) through the extension's own encode and GIF Workers, every output read
 * back by an independent decoder in Node. This is where "Firefox encodes AV1 WebM with WebCodecs, decodes it
 * back, and makes the GIF" is checked.
 */
import { test } from '@playwright/test';
import puppeteer, { type Browser } from 'puppeteer-core';
import { type MediaCall, mediaTests, serveTimelapseMedia } from '../e2e/support/timelapse-media';
import { assertFirefox, FIREFOX } from './support/firefox';

let browser: Browser;
let server: Awaited<ReturnType<typeof serveTimelapseMedia>>;
let call: MediaCall;

test.beforeAll(async () => {
  assertFirefox();
  server = await serveTimelapseMedia();
  browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
  const page = await browser.newPage();
  await page.goto(server.url);
  call = ((method, arg) =>
    page.evaluate(
      (m, a) =>
        (window as unknown as { timelapseMedia: Record<string, (x: unknown) => Promise<unknown>> })
          .timelapseMedia[m]!(a),
      method,
      arg,
    )) as MediaCall;
});

test.afterAll(async () => {
  await browser?.close();
  await server?.close();
});

mediaTests(() => call);

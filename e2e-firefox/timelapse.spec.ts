/**
 * The timelapse in real Firefox ESR: the recorder and its encoder Worker run in the add-on's background page
 * (there is no offscreen document), so a job with 12 previews gets a 12-frame AV1 WebM there, which the
 * sidebar plays; the GIF made from it in the page's Worker has 12 frames. Both files are read back by
 * independent decoders in Node (mediabunny's demuxer, omggif).
 */

import { gifFacts, webmFacts } from '../e2e/support/timelapse-media';
import { expect, test } from './fixtures';

/** The bytes behind a blob: URL of the page, fetched in the page. */
async function blobBytes(page: import('puppeteer-core').Page, url: string): Promise<Uint8Array> {
  const b64 = await page.evaluate(async (u) => {
    const bytes = new Uint8Array(await (await fetch(u)).arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }, url);
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

test('a job with 12 previews gets a 12-frame video timelapse in Firefox, and a 12-frame GIF on demand', async ({
  comfy,
  openView,
}) => {
  const panel = await openView('sidepanel.html');
  await panel.expectConnection('connected');
  await panel.startRecording();
  const id = await comfy.post('ok', { steps: 12, delayMs: 120 });
  await panel.expectStatus(id, 'success', 30_000);
  const jobKey = await panel.attr(`[data-prompt-id="${id}"][data-job-key]`, 'data-job-key');
  expect(jobKey).toBeTruthy();
  await panel.page.evaluate(
    (hash) => {
      location.hash = hash;
    },
    `#job=${encodeURIComponent(jobKey!)}`,
  );

  const timelapse = '[data-testid="job-timelapse"]';
  await expect.poll(() => panel.attr(timelapse, 'data-frames'), { timeout: 30_000 }).toBe('12');
  expect(await panel.page.evaluate((sel) => document.querySelector(sel)?.tagName, timelapse)).toBe('VIDEO');
  await expect
    .poll(() =>
      panel.page.evaluate((sel) => (document.querySelector(sel) as HTMLVideoElement).currentTime, timelapse),
    )
    .toBeGreaterThan(0);
  const src = (await panel.attr(timelapse, 'src'))!;
  expect(await webmFacts(await blobBytes(panel.page, src))).toMatchObject({
    codec: 'av1',
    frames: 12,
    width: 64,
    height: 64,
  });
  expect(await panel.attr('[data-testid="timelapse-download"]', 'download')).toMatch(
    new RegExp(`-${id.slice(0, 8)}\\.webm$`),
  );

  // The GIF is handed to the browser's downloads through a link click; catch that click to read the file.
  await panel.page.evaluate(() => {
    const saved: { href: string; name: string }[] = [];
    Object.assign(window, { __saved: saved });
    HTMLAnchorElement.prototype.click = function click(this: HTMLAnchorElement) {
      saved.push({ href: this.href, name: this.download });
    };
  });
  await panel.page.click('[data-testid="timelapse-download-gif"]');
  const saved = await expect
    .poll(
      () =>
        panel.page.evaluate(
          () => (window as unknown as { __saved: { href: string; name: string }[] }).__saved,
        ),
      {
        timeout: 30_000,
      },
    )
    .toHaveLength(1)
    .then(() =>
      panel.page.evaluate(
        () => (window as unknown as { __saved: { href: string; name: string }[] }).__saved[0]!,
      ),
    );
  expect(saved.name).toMatch(new RegExp(`-${id.slice(0, 8)}\\.gif$`));
  const gif = gifFacts(await blobBytes(panel.page, saved.href));
  expect([gif.frames, gif.width, gif.height]).toEqual([12, 64, 64]);
});

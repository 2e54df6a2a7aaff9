/**
 * Issue 10: every job's preview frames become a timelapse. A job with 12 previews ends; its detail plays
 * a 12-frame animation, and the download gives a GIF that an independent decoder (omggif) reads back as
 * 12 frames, named after the job.
 */
import { readFileSync } from 'node:fs';
import { GifReader } from 'omggif';
import { expect, test } from './fixtures';
import { JobDetailPage } from './pages/job-detail';

test('a job with 12 previews gets a 12-frame timelapse in its detail, and its download is a valid GIF', async ({
  comfy,
  connectedViews: { panel },
}) => {
  await panel.startRecording();
  const id = await comfy.post('ok', { steps: 12, delayMs: 120 });
  await panel.expectStatus(id, 'success', 30_000);
  const rec = await panel.readRecord(id);
  expect(rec.previews.length, 'the side panel showed live previews').toBeGreaterThan(1);

  const jobKey = await panel.card(id).getAttribute('data-job-key');
  expect(jobKey).toBeTruthy();
  const detail = await JobDetailPage.open(panel.page, jobKey!);
  await expect(detail.timelapse()).toHaveAttribute('data-frames', '12', { timeout: 20_000 });
  // the animation decoded in the page: it plays
  await expect
    .poll(() => detail.timelapse().evaluate((img) => (img as HTMLImageElement).naturalWidth))
    .toBeGreaterThan(0);

  const [download] = await Promise.all([panel.page.waitForEvent('download'), detail.download().click()]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`-${id.slice(0, 8)}\\.gif$`));
  const path = await download.path();
  const bytes = new Uint8Array(readFileSync(path));
  expect(new TextDecoder().decode(bytes.subarray(0, 6))).toBe('GIF89a');
  const gif = new GifReader(bytes);
  expect(gif.numFrames()).toBe(12);
  // the simulator's previews are 64 px; a timelapse never upscales
  expect([gif.width, gif.height]).toEqual([64, 64]);
  for (let i = 0; i < 12; i++) {
    const pixels = new Uint8Array(gif.width * gif.height * 4);
    gif.decodeAndBlitFrameRGBA(i, pixels);
  }
});

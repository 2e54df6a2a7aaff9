/**
 * Issue 10: every job's preview frames become a timelapse. A job with 12 previews ends; its detail plays a
 * 12-frame video, whose download is a WebM that an independent demuxer (mediabunny) reads back as 12 frames,
 * named after the job; the GIF made from it on demand is a GIF that omggif reads back as 12 frames.
 */
import { readFileSync } from 'node:fs';
import type { Download } from '@playwright/test';
import { expect, test } from './fixtures';
import { JobDetailPage } from './pages/job-detail';
import { EBML_MAGIC, gifFacts, webmFacts } from './support/timelapse-media';

async function downloaded(download: Download): Promise<Uint8Array> {
  return new Uint8Array(readFileSync(await download.path()));
}

test('a job with 12 previews gets a 12-frame video timelapse; its download is a 12-frame WebM, and its GIF has 12 frames', async ({
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
  // it is a video, and it plays by itself
  expect(await detail.timelapse().evaluate((el) => el.tagName)).toBe('VIDEO');
  await expect
    .poll(() => detail.timelapse().evaluate((v) => (v as HTMLVideoElement).currentTime))
    .toBeGreaterThan(0);
  // the simulator's previews are 64 px; a timelapse never upscales
  expect(
    await detail
      .timelapse()
      .evaluate((v) => [(v as HTMLVideoElement).videoWidth, (v as HTMLVideoElement).videoHeight]),
  ).toEqual([64, 64]);

  const [video] = await Promise.all([panel.page.waitForEvent('download'), detail.download().click()]);
  expect(video.suggestedFilename()).toMatch(new RegExp(`-${id.slice(0, 8)}\\.webm$`));
  const webm = await downloaded(video);
  expect(Array.from(webm.subarray(0, 4))).toEqual(EBML_MAGIC);
  expect(await webmFacts(webm)).toMatchObject({ codec: 'av1', frames: 12, width: 64, height: 64 });

  const [gifDownload] = await Promise.all([
    panel.page.waitForEvent('download'),
    detail.downloadGif().click(),
  ]);
  expect(gifDownload.suggestedFilename()).toMatch(new RegExp(`-${id.slice(0, 8)}\\.gif$`));
  const gif = gifFacts(await downloaded(gifDownload));
  expect(gif.frames).toBe(12);
  expect([gif.width, gif.height]).toEqual([64, 64]);
  expect(gif.delays).toEqual([...Array(11).fill(10), 150]);
});

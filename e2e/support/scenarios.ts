/**
 * Scenarios that the Chromium and the Firefox suites both run, written against the methods their page
 * objects share (`e2e/pages/jobs-view.ts` on Playwright, `e2e-firefox/support/pages.ts` on puppeteer).
 */
import { expect, test } from '@playwright/test';
import type { JobStatus } from '../pages/jobs-view';
import type { ComfyDriver } from './comfy';
import { expectProgressRose, expectShownLive } from './live';
import type { LiveRecord } from './recorder';

export interface LiveView {
  startRecording(watchText?: string[]): Promise<void>;
  readRecord(promptId: string): Promise<LiveRecord>;
  expectStatus(promptId: string, status: JobStatus | RegExp, timeout?: number): Promise<void>;
  expectThumbnail(promptId: string, previews?: string[]): Promise<void>;
}

/**
 * Posts a 16-step job over HTTP, as a script would, and checks that every view showed it live (rising
 * progress, changing previews, the running node's class) and then its success and output thumbnail.
 * Returns the job's prompt id.
 */
export async function postJobAndWatchItLive(
  views: Record<string, LiveView>,
  comfy: ComfyDriver,
): Promise<string> {
  for (const view of Object.values(views)) await view.startRecording(['PeerSteps']);
  const id = await comfy.post('ok', { steps: 16, delayMs: 250 });
  for (const view of Object.values(views)) await view.expectStatus(id, 'success', 30_000);
  expect((await comfy.history(id))?.status?.status_str).toBe('success');
  for (const [name, view] of Object.entries(views)) {
    await test.step(`${name} showed the job live`, async () => {
      const rec = await view.readRecord(id);
      expectShownLive(rec);
      await view.expectThumbnail(id, rec.previews);
    });
  }
  return id;
}

export interface CancelView {
  expectStatus(promptId: string, status: JobStatus | RegExp, timeout?: number): Promise<void>;
  waitUntilMidJob(promptId: string): Promise<void>;
  progressNow(promptId: string): Promise<number>;
  cancel(promptId: string): Promise<void>;
}

/**
 * Cancel is two operations (design.md §1.5): delete for a pending job, interrupt for the running one. With
 * one job running and two queued, deleting one queued job and then interrupting the running one must
 * leave the other queued job to run to success.
 */
export async function cancelPendingThenRunning(view: CancelView, comfy: ComfyDriver): Promise<void> {
  const running = await comfy.post('slow', { steps: 120, delayMs: 250 });
  const keep = await comfy.post('ok', { steps: 4, delayMs: 100 });
  const remove = await comfy.post('ok', { steps: 4, delayMs: 100 });
  await view.waitUntilMidJob(running);
  await view.expectStatus(keep, 'pending');
  await view.expectStatus(remove, 'pending');

  await view.cancel(remove);
  await view.expectStatus(remove, 'cancelled');
  // The running job went on: still running, and its progress still moves.
  const before = await view.progressNow(running);
  await expect.poll(() => view.progressNow(running), { timeout: 10_000 }).toBeGreaterThan(before);
  await view.expectStatus(running, 'running');
  await view.expectStatus(keep, 'pending');

  await view.cancel(running);
  await view.expectStatus(running, /^(interrupted|cancelled)$/);
  await view.expectStatus(keep, 'success', 30_000);

  // The server agrees: the interrupted job ended early, the deleted one never ran, the other succeeded.
  expect((await comfy.waitForHistory(running)).status?.status_str).toBe('error');
  expect((await comfy.waitForHistory(keep)).status?.status_str).toBe('success');
  expect(await comfy.history(remove)).toBeUndefined();
}

/**
 * A job queued from the ComfyUI tab (as `clientId`, the tab's own socket) sends its per-step events to that
 * socket only; the view must still show it live, which only the tab bridge can make happen. Start the
 * view's recording before calling this.
 */
export async function postFromTabAndWatchItLive(
  view: LiveView,
  comfy: ComfyDriver,
  clientId: string,
): Promise<void> {
  const id = await comfy.post('ok', { clientId, steps: 12, delayMs: 250 });
  await view.expectStatus(id, 'success', 30_000);
  const rec = await view.readRecord(id);
  expect(rec.statuses).toContain('running');
  expectProgressRose(rec);
}

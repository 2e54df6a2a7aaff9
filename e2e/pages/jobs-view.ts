/**
 * What the popup and the side panel have in common: job cards, their progress, previews, cancel and the
 * connection badge. Only the UI contract of issue 3 (data-testid, data-status, data-state, ARIA) is used.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { JOB_ENTRY, jobEntry, type LiveRecord, readJobRecord, recordJobCards } from '../support/recorder';

export type JobStatus = 'pending' | 'running' | 'success' | 'error' | 'interrupted' | 'cancelled' | 'lost';
export type ConnectionState =
  | 'connected'
  | 'connecting'
  | 'reconnecting'
  | 'offline'
  | 'rejected'
  | 'auth-required';

export type { LiveRecord } from '../support/recorder';

export { JOB_ENTRY, jobEntry };

export class JobsView {
  constructor(readonly page: Page) {}

  /** Every job the view shows, whatever shows it (card, history row, gallery tile). */
  cards(): Locator {
    return this.page.locator(JOB_ENTRY);
  }

  /** What shows the job now: its card while active, then its history row or gallery tile. */
  card(promptId: string): Locator {
    return this.page.locator(jobEntry(promptId)).first();
  }

  progressbar(promptId: string): Locator {
    return this.card(promptId).getByRole('progressbar').first();
  }

  preview(promptId: string): Locator {
    return this.card(promptId).locator('img[data-testid="job-preview"]').first();
  }

  async expectStatus(promptId: string, status: JobStatus | RegExp, timeout = 30_000): Promise<void> {
    await expect(this.card(promptId)).toHaveAttribute('data-status', status, { timeout });
  }

  async cancel(promptId: string): Promise<void> {
    await this.card(promptId).locator('[data-testid="job-cancel"]').first().click();
  }

  connection(): Locator {
    return this.page.locator('[data-testid="connection-status"]').first();
  }

  async expectConnection(state: ConnectionState, timeout = 20_000): Promise<void> {
    await expect(this.connection()).toHaveAttribute('data-state', state, { timeout });
  }

  /**
   * Starts recording, inside the page, every change any job card shows, keyed by prompt id. Start it before
   * posting the job so that its first frames are seen too; read it later with `readRecord`, so that no change
   * between two Playwright polls can be missed.
   */
  async startRecording(watchText: string[] = []): Promise<void> {
    await this.page.evaluate(recordJobCards, { watchText, selector: JOB_ENTRY });
  }

  /** What the page showed for a job since `startRecording`; throws if the job's card never appeared. */
  async readRecord(promptId: string): Promise<LiveRecord> {
    const rec = await this.page.evaluate(readJobRecord, promptId);
    if (!rec)
      throw new Error(`job ${promptId} never appeared on ${this.page.url()} (or recording never started)`);
    return rec;
  }

  /** The job's progress bar value now, or NaN when it has none. */
  async progressNow(promptId: string): Promise<number> {
    const bar = this.progressbar(promptId);
    if ((await bar.count()) === 0) return Number.NaN;
    return Number(await bar.getAttribute('aria-valuenow'));
  }

  /** Waits until the job runs and has made visible progress, so that a fault hits it mid-job. */
  async waitUntilMidJob(promptId: string, timeout = 30_000): Promise<void> {
    await this.expectStatus(promptId, 'running', timeout);
    await expect.poll(() => this.progressNow(promptId), { timeout }).toBeGreaterThan(0);
  }

  /**
   * The output thumbnail: an image in the card that decoded and is none of the live previews it showed
   * (pass them from `readRecord`), so the last preview left on screen cannot pass for the output.
   */
  async expectThumbnail(promptId: string, previewSrcs: string[] = [], timeout = 20_000): Promise<void> {
    await expect
      .poll(
        () =>
          this.card(promptId)
            .locator('img')
            .evaluateAll(
              (imgs, previews) =>
                imgs.some(
                  (i) =>
                    (i as HTMLImageElement).naturalWidth > 0 &&
                    !previews.includes(i.getAttribute('src') ?? ''),
                ),
              previewSrcs,
            ),
        { timeout, message: 'a decoded output thumbnail in the card' },
      )
      .toBe(true);
  }
}

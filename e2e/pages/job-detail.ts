/** A job's detail in the side panel (`sidepanel.html#job=<key>`): its timelapse and node timings. */
import { expect, type Locator, type Page } from '@playwright/test';

export class JobDetailPage {
  constructor(readonly page: Page) {}

  static async open(page: Page, jobKey: string): Promise<JobDetailPage> {
    await page.evaluate(
      (hash) => {
        location.hash = hash;
      },
      `#job=${encodeURIComponent(jobKey)}`,
    );
    const detail = new JobDetailPage(page);
    await expect(detail.root()).toHaveAttribute('data-job-key', jobKey);
    return detail;
  }

  root(): Locator {
    return this.page.locator('[data-testid="job-detail"]');
  }

  timelapse(): Locator {
    return this.page.locator('[data-testid="job-timelapse"]');
  }

  /** The stored file (the video; a GIF where the browser could not encode video). */
  download(): Locator {
    return this.page.locator('[data-testid="timelapse-download"]');
  }

  /** The GIF made from the video on demand. */
  downloadGif(): Locator {
    return this.page.locator('[data-testid="timelapse-download-gif"]');
  }
}

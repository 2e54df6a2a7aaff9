/**
 * The popup, side panel and options page in Firefox, through the same UI contract as the Chromium page
 * objects (data-testid, data-status, data-state, ARIA), on a puppeteer page.
 */
import { expect } from '@playwright/test';
import type { Browser } from '@wxt-dev/browser';
import type { Page } from 'puppeteer-core';
import type { ConnectionState, JobStatus } from '../../e2e/pages/jobs-view';
import {
  JOB_ENTRY,
  jobEntry,
  type LiveRecord,
  readJobRecord,
  recordJobCards,
} from '../../e2e/support/recorder';

// The extension API inside an extension page; `evaluate` callbacks run there.
declare const browser: typeof Browser;

const card = jobEntry;

export class JobsPage {
  constructor(readonly page: Page) {}

  /** An attribute of the first element matching `selector`, or null when there is none. */
  attr(selector: string, name: string): Promise<string | null> {
    return this.page.evaluate(
      (sel, n) => document.querySelector(sel)?.getAttribute(n) ?? null,
      selector,
      name,
    );
  }

  connectionState(): Promise<string | null> {
    return this.attr('[data-testid="connection-status"]', 'data-state');
  }

  async expectConnection(state: ConnectionState, timeout = 20_000): Promise<void> {
    await expect.poll(() => this.connectionState(), { timeout, message: 'connection state' }).toBe(state);
  }

  status(promptId: string): Promise<string | null> {
    return this.attr(card(promptId), 'data-status');
  }

  async expectStatus(promptId: string, status: JobStatus | RegExp, timeout = 30_000): Promise<void> {
    const poll = expect.poll(() => this.status(promptId), { timeout, message: `status of job ${promptId}` });
    await (typeof status === 'string' ? poll.toBe(status) : poll.toMatch(status));
  }

  async startRecording(watchText: string[] = []): Promise<void> {
    await this.page.evaluate(recordJobCards, { watchText, selector: JOB_ENTRY });
  }

  async readRecord(promptId: string): Promise<LiveRecord> {
    const rec = await this.page.evaluate(readJobRecord, promptId);
    if (!rec) throw new Error(`job ${promptId} never appeared on ${this.page.url()}`);
    return rec;
  }

  async progressNow(promptId: string): Promise<number> {
    const v = await this.attr(card(promptId, '[role="progressbar"]'), 'aria-valuenow');
    return v === null ? Number.NaN : Number(v);
  }

  async waitUntilMidJob(promptId: string, timeout = 30_000): Promise<void> {
    await this.expectStatus(promptId, 'running', timeout);
    await expect.poll(() => this.progressNow(promptId), { timeout }).toBeGreaterThan(0);
  }

  /** A real click (BiDi input actions), as a user's. */
  async cancel(promptId: string): Promise<void> {
    await this.page.click(card(promptId, '[data-testid="job-cancel"]'));
  }

  /** The notifications the extension shows now; Firefox answers with their options (Chrome with `true`). */
  notifications(): Promise<Record<string, { title?: string; message?: string }>> {
    return this.page.evaluate(() => browser.notifications.getAll() as Promise<Record<string, never>>);
  }

  /** The output thumbnail: a decoded image in the card that is none of the live previews it showed. */
  async expectThumbnail(promptId: string, previews: string[] = [], timeout = 20_000): Promise<void> {
    const shown = () =>
      this.page.evaluate(
        (sel, seen) =>
          [...document.querySelectorAll<HTMLImageElement>(sel)].some(
            (i) => i.naturalWidth > 0 && !seen.includes(i.getAttribute('src') ?? ''),
          ),
        card(promptId, 'img'),
        previews,
      );
    await expect.poll(shown, { timeout, message: 'a decoded output thumbnail in the card' }).toBe(true);
  }
}

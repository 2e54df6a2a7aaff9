import { expect, type Page } from '@playwright/test';

/** The options page (`options.html`): server settings through the UI contract. */
export class OptionsPage {
  static readonly path = 'options.html';

  constructor(readonly page: Page) {}

  /** Points the first configured server at `url` (and optionally a token) and saves. */
  async setServer(url: string, token?: string): Promise<void> {
    const urlInput = this.page.getByTestId('server-url').first();
    await expect(urlInput).toBeVisible();
    await urlInput.fill(url);
    if (token !== undefined) await this.page.getByTestId('server-token').first().fill(token);
    await this.page.getByTestId('server-save').first().click();
  }

  /** Turns the optional sync target on (issue 4): URL, API key, enabled, save. */
  async enableSync(url: string, apiKey: string): Promise<void> {
    await this.page.getByTestId('sync-url').fill(url);
    await this.page.getByTestId('sync-key').fill(apiKey);
    await this.page.getByTestId('sync-enabled').check();
    await this.page.getByTestId('sync-save').click();
  }

  /** Changes only the sync URL (the stored key and the enabled switch stay) and saves. */
  async setSyncUrl(url: string): Promise<void> {
    await this.page.getByTestId('sync-url').fill(url);
    await this.page.getByTestId('sync-save').click();
  }

  /** What the options page says went wrong with the last upload ('' when nothing did). */
  async syncProblem(): Promise<{ kind: string; text: string }> {
    const el = this.page.getByTestId('sync-error');
    return { kind: (await el.getAttribute('data-kind')) ?? '', text: (await el.textContent()) ?? '' };
  }

  /** How many records the server rejected (the dead letters); 0 when the section is hidden. */
  async syncRejected(): Promise<number> {
    const count = this.page.getByTestId('sync-dead-count');
    return (await count.count()) === 0 ? 0 : Number(await count.textContent());
  }

  /** The uploader's pending count as the options page shows it; NaN while unknown. */
  async syncPending(): Promise<number> {
    return Number((await this.page.getByTestId('sync-pending').textContent())?.trim());
  }
}

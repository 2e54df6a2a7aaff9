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
}

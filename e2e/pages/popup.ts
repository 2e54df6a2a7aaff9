import type { Page } from '@playwright/test';
import { JobsView } from './jobs-view';

/** The toolbar popup, opened as a tab (`popup.html`) as e2e tests usually do. */
export class PopupPage extends JobsView {
  static readonly path = 'popup.html';

  constructor(page: Page) {
    super(page);
  }
}

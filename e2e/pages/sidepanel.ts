import type { Page } from '@playwright/test';
import { JobsView } from './jobs-view';

/** The side panel, opened as a tab (`sidepanel.html`). */
export class SidePanelPage extends JobsView {
  static readonly path = 'sidepanel.html';

  constructor(page: Page) {
    super(page);
  }
}

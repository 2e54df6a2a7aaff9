/**
 * The in-page recorder of what job cards show, shared by the Chromium (Playwright) and Firefox
 * (puppeteer) page objects. `recordJobCards` and `readJobRecord` run inside the page: pass them to
 * `page.evaluate`, so they may use nothing from this module's scope.
 */

/** What the page showed for one job over time, recorded inside the page by a MutationObserver. */
export interface LiveRecord {
  /** Distinct aria-valuenow values of the job's progress bar, in the order they appeared. */
  progress: number[];
  /** Distinct preview `src` values, in order. */
  previews: string[];
  /** Statuses the card went through, in order. */
  statuses: string[];
  /** Whether the card's text ever contained each watched string (e.g. the current node's class type). */
  seenText: Record<string, boolean>;
}

declare global {
  interface Window {
    __cpRecorders?: Record<string, LiveRecord>;
  }
}

/**
 * Starts recording every change any job card shows, keyed by prompt id, so that no change between two
 * polls of the test can be missed. Start it before the job is posted so its first frames are seen too.
 */
export function recordJobCards(watchText: string[]): void {
  const recorders: Record<string, LiveRecord> = {};
  window.__cpRecorders = recorders;
  const sample = () => {
    for (const card of document.querySelectorAll('[data-testid="job-card"][data-prompt-id]')) {
      const id = card.getAttribute('data-prompt-id') ?? '';
      recorders[id] ??= {
        progress: [],
        previews: [],
        statuses: [],
        seenText: Object.fromEntries(watchText.map((t) => [t, false])),
      };
      const rec = recorders[id];
      const status = card.getAttribute('data-status');
      if (status && rec.statuses.at(-1) !== status) rec.statuses.push(status);
      const bar = card.querySelector('[role="progressbar"]');
      const now = bar ? Number(bar.getAttribute('aria-valuenow')) : Number.NaN;
      if (!Number.isNaN(now) && rec.progress.at(-1) !== now) rec.progress.push(now);
      const src = card.querySelector('img[data-testid="job-preview"]')?.getAttribute('src');
      if (src && rec.previews.at(-1) !== src) rec.previews.push(src);
      const text = card.textContent ?? '';
      for (const t of watchText) if (text.includes(t)) rec.seenText[t] = true;
    }
  };
  sample();
  new MutationObserver(sample).observe(document.body, {
    subtree: true,
    childList: true,
    attributes: true,
    characterData: true,
  });
}

/** The record of one job since `recordJobCards`, or undefined when its card never appeared. */
export function readJobRecord(promptId: string): LiveRecord | undefined {
  return window.__cpRecorders?.[promptId];
}

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
 * Whatever shows a job in a view: its card while active, its row in the side panel's history, or its tile
 * in the popup's gallery of latest results. Each carries `data-prompt-id` and `data-status`, and a view shows
 * each job at most once.
 */
export const JOB_ENTRY = ['job-card', 'history-row', 'gallery-item']
  .map((t) => `[data-testid="${t}"][data-prompt-id]`)
  .join(', ');

/**
 * The selector of whatever shows this job (see `JOB_ENTRY`), or, with `inner`, of that descendant of it
 * (appended to each alternative: a selector list does not distribute a descendant combinator).
 */
export function jobEntry(promptId: string, inner = ''): string {
  return ['job-card', 'history-row', 'gallery-item']
    .map((t) => `[data-testid="${t}"][data-prompt-id="${promptId}"]${inner ? ` ${inner}` : ''}`)
    .join(', ');
}

/**
 * Starts recording every change any job entry (`JOB_ENTRY`) shows, keyed by prompt id, so that no change between two
 * polls of the test can be missed. Start it before the job is posted so its first frames are seen too.
 */
export function recordJobCards({ watchText, selector }: { watchText: string[]; selector: string }): void {
  const recorders: Record<string, LiveRecord> = {};
  window.__cpRecorders = recorders;
  const sample = () => {
    for (const card of document.querySelectorAll(selector)) {
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

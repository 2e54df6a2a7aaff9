import { expect } from '@playwright/test';
import type { LiveRecord } from '../pages/jobs-view';

/** Progress "rises" when the bar showed several values and every step between them went up. */
export function expectProgressRose(rec: LiveRecord, minDistinct = 3): void {
  const values = rec.progress;
  expect(values.length, `progress values shown: ${JSON.stringify(values)}`).toBeGreaterThanOrEqual(
    minDistinct,
  );
  const rises = values.filter((v, i) => i > 0 && v > (values[i - 1] ?? Number.NEGATIVE_INFINITY)).length;
  const falls = values.filter((v, i) => i > 0 && v < (values[i - 1] ?? Number.NEGATIVE_INFINITY)).length;
  expect(rises, `progress values shown: ${JSON.stringify(values)}`).toBeGreaterThanOrEqual(minDistinct - 1);
  expect(falls, `progress went backwards: ${JSON.stringify(values)}`).toBe(0);
}

export function expectPreviewsChanged(rec: LiveRecord, minDistinct = 2): void {
  expect(rec.previews.length, `distinct preview srcs: ${rec.previews.length}`).toBeGreaterThanOrEqual(
    minDistinct,
  );
}

/** A job that ran to success was shown live: running, rising progress, changing previews, its node's class. */
export function expectShownLive(rec: LiveRecord, nodeClass = 'PeerSteps'): void {
  expect(rec.statuses).toContain('running');
  expect(rec.statuses.at(-1)).toBe('success');
  expectProgressRose(rec);
  expectPreviewsChanged(rec);
  expect(rec.seenText[nodeClass], `the current node (class type ${nodeClass}) was shown`).toBe(true);
}

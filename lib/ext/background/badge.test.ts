import { beforeAll, describe, expect, it } from 'vitest';
import type { Translate } from '../i18n';
import { loadTranslator } from '../testing/i18n';
import { BADGE_RUNNING_COLOR, BADGE_WAITING_COLOR, badgeFor } from './badge';

let t: Translate;
beforeAll(async () => {
  t = await loadTranslator('en');
});

describe('badgeFor', () => {
  it.each([
    [{ running: 0, pending: 0 }, '', BADGE_WAITING_COLOR],
    [{ running: 1, pending: 0, singleProgress: 0.427 }, '42%', BADGE_RUNNING_COLOR],
    [{ running: 1, pending: 2, singleProgress: 1 }, '100%', BADGE_RUNNING_COLOR],
    [{ running: 1, pending: 0 }, '1', BADGE_RUNNING_COLOR],
    [{ running: 3, pending: 1, singleProgress: 0.5 }, '3', BADGE_RUNNING_COLOR],
    [{ running: 0, pending: 4 }, '4', BADGE_WAITING_COLOR],
  ])('%o → %s', (activity, text, color) => {
    const b = badgeFor(activity, t);
    expect(b.text).toBe(text);
    expect(b.color).toBe(color);
  });

  it('explains the counts in the title', () => {
    expect(badgeFor({ running: 1, pending: 2 }, t).title).toBe('ComfyPulse: 1 running, 2 waiting');
    expect(badgeFor({ running: 0, pending: 0 }, t).title).toBe('ComfyPulse');
  });
});

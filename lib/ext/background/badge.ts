/** The toolbar badge: what is running now, at a glance. */
import type { Translate } from '../i18n';

export interface Activity {
  running: number;
  pending: number;
  /** Progress in [0, 1] of the single running job, when exactly one runs. */
  singleProgress?: number;
}

export interface BadgeState {
  text: string;
  color: string;
  title: string;
}

export const BADGE_RUNNING_COLOR = '#2563eb';
export const BADGE_WAITING_COLOR = '#6b7280';

/**
 * One running job shows its percentage; several show their count; only waiting jobs show their count in
 * grey; nothing active clears the badge.
 */
export function badgeFor(a: Activity, t: Translate): BadgeState {
  const title =
    a.running + a.pending > 0 ? t('bg_badge_title_active', [a.running, a.pending]) : t('bg_badge_title_idle');
  if (a.running === 1 && a.singleProgress !== undefined && Number.isFinite(a.singleProgress)) {
    const pct = Math.min(100, Math.max(0, Math.floor(a.singleProgress * 100)));
    return { text: `${pct}%`, color: BADGE_RUNNING_COLOR, title };
  }
  if (a.running > 0) return { text: String(a.running), color: BADGE_RUNNING_COLOR, title };
  if (a.pending > 0) return { text: String(a.pending), color: BADGE_WAITING_COLOR, title };
  return { text: '', color: BADGE_WAITING_COLOR, title };
}

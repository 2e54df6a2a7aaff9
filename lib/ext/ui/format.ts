/**
 * Pure time arithmetic for the job views. Everything takes `now` explicitly so that components can be
 * rendered with an injected clock and tests pin exact strings.
 */
import type { JobRecord } from '../db';

/** `m:ss` below an hour, `h:mm:ss` above; never negative. Locale-neutral digits, so no i18n key needed. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A node's duration in seconds with two significant decimals below 10 s ("0.42", "3.10", "12.3"). */
export function formatSeconds(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return s.toFixed(2);
  if (s < 60) return s.toFixed(1);
  return formatDuration(ms);
}

type Timed = Pick<JobRecord, 'status' | 'startedAt' | 'endedAt' | 'progress'>;

/** Time spent executing: up to now while running, up to the end once finished; undefined before start. */
export function elapsedMs(job: Timed, now: number): number | undefined {
  if (job.startedAt === undefined) return undefined;
  const end = job.status === 'running' || job.endedAt === undefined ? now : job.endedAt;
  return Math.max(0, end - job.startedAt);
}

/**
 * Linear extrapolation of the remaining time from overall progress. Undefined until there is enough
 * signal (some progress and at least a second of run time), because an estimate from one tick is noise.
 */
export function remainingMs(job: Timed, now: number): number | undefined {
  if (job.status !== 'running') return undefined;
  const elapsed = elapsedMs(job, now);
  const p = job.progress;
  if (elapsed === undefined || elapsed < 1000 || !(p > 0.01) || p >= 1) return undefined;
  return (elapsed * (1 - p)) / p;
}

/** Progress as an integer percentage in [0, 100], the value the progress bar reports. */
export function percent(progress: number): number {
  if (!Number.isFinite(progress)) return 0;
  return Math.round(Math.min(1, Math.max(0, progress)) * 100);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['week', 7 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "3 min ago", "yesterday", "just now": the time from `now` to `at` in the largest whole unit. */
export function formatRelative(at: number, now: number, locale?: string): string {
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'short' });
  const diff = at - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms) return rtf.format(Math.trunc(diff / ms), unit);
  }
  return rtf.format(0, 'second');
}

/** The absolute date and time shown on hover next to a relative one. */
export function formatAbsolute(at: number, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(at);
}

import { describe, expect, it } from 'vitest';
import {
  elapsedMs,
  formatAbsolute,
  formatDuration,
  formatRelative,
  formatSeconds,
  percent,
  remainingMs,
} from './format';

describe('formatDuration', () => {
  it.each([
    [0, '0:00'],
    [999, '0:00'],
    [5_000, '0:05'],
    [65_000, '1:05'],
    [3_600_000, '1:00:00'],
    [3_725_000, '1:02:05'],
    [-5_000, '0:00'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('elapsed and remaining time', () => {
  const base = { startedAt: 10_000, endedAt: undefined, progress: 0 };

  it('counts to now while running and to the end once finished', () => {
    expect(elapsedMs({ ...base, status: 'running' }, 25_000)).toBe(15_000);
    expect(elapsedMs({ ...base, status: 'success', endedAt: 20_000 }, 99_000)).toBe(10_000);
    expect(elapsedMs({ ...base, status: 'pending', startedAt: undefined }, 25_000)).toBeUndefined();
  });

  it.each([
    ['quarter done after 10 s leaves 30 s', 0.25, 20_000, 30_000],
    ['half done after 10 s leaves 10 s', 0.5, 20_000, 10_000],
    ['no progress yet gives no estimate', 0, 20_000, undefined],
    ['under a second of run time gives no estimate', 0.5, 10_500, undefined],
    ['complete gives no estimate', 1, 20_000, undefined],
  ])('%s', (_name, progress, now, expected) => {
    expect(remainingMs({ ...base, status: 'running', progress }, now)).toBe(expected);
  });

  it('gives no estimate for a job that is not running', () => {
    expect(remainingMs({ ...base, status: 'pending', progress: 0.5 }, 20_000)).toBeUndefined();
  });

  it.each([
    [0, 0],
    [0.333, 33],
    [1, 100],
    [1.5, 100],
    [-1, 0],
    [Number.NaN, 0],
  ])('percent(%f) = %i', (p, v) => {
    expect(percent(p)).toBe(v);
  });
});

describe('formatSeconds', () => {
  it.each([
    [420, '0.42'],
    [3_100, '3.10'],
    [12_345, '12.3'],
    [75_000, '1:15'],
    [-1, '0.00'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatSeconds(ms)).toBe(text);
  });
});

describe('formatRelative', () => {
  const now = Date.UTC(2026, 4, 10, 12, 0, 0);
  it.each([
    [now, 'now'],
    [now - 20_000, 'now'],
    [now - 3 * 60_000, '3 min. ago'],
    [now - 2 * 3_600_000, '2 hr. ago'],
    [now - 86_400_000, 'yesterday'],
    [now - 3 * 86_400_000, '3 days ago'],
    [now - 15 * 86_400_000, '2 wk. ago'],
    [now - 400 * 86_400_000, 'last yr.'],
  ])('%i is "%s" in en-US', (at, text) => {
    expect(formatRelative(at, now, 'en-US')).toBe(text);
  });

  it('speaks the given locale, with the absolute date for the hover', () => {
    expect(formatRelative(now - 3 * 60_000, now, 'pt-BR')).toBe('há 3 min.');
    expect(formatAbsolute(now, 'en-US')).toMatch(/May 10, 2026/);
  });
});

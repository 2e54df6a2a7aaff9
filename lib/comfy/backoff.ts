/**
 * Reconnect schedules. A policy maps "how many retries have already failed in a row" to the delay before
 * the next one; `null` means give up (only the peer policies kept for the benchmark ever do).
 *
 * The default schedule is shaped by two facts (design §4): most outages are ComfyUI restarts of 5-6 s,
 * so retries are dense (about 1 s apart) up to 8 s into an outage; and a long outage must not cost
 * hundreds of handshakes, so after that the delay doubles to a 30 s cap (<= 20 attempts in 120 s).
 */
import type { Random } from './types';

export interface BackoffPolicy {
  readonly name: string;
  /** Delay in ms before retry number `failures + 1`, or null to give up. */
  delay(failures: number, random: Random): number | null;
}

/** Base delays of the default policy; every later retry uses the last entry. */
export const DEFAULT_SCHEDULE_MS: readonly number[] = [
  250, 500, 1000, 1000, 1000, 1000, 1000, 1000, 2000, 4000, 8000, 16000, 30000,
];

/** Bounded proportional jitter: delay = base × [1 - J, 1 + J). Spreads clients without hollowing the 1 s grid. */
export const DEFAULT_JITTER = 0.2;

/** Retries that happen within the quick phase (the outage is probably a restart); later ones are "offline". */
export const QUICK_PHASE_RETRIES = DEFAULT_SCHEDULE_MS.indexOf(2000);

export function scheduleBackoff(
  schedule: readonly number[] = DEFAULT_SCHEDULE_MS,
  jitter = DEFAULT_JITTER,
): BackoffPolicy {
  return {
    name: 'comfypulse',
    delay(failures, random) {
      const base = schedule[Math.min(failures, schedule.length - 1)]!;
      return Math.round(base * (1 - jitter + 2 * jitter * clamp01(random())));
    },
  };
}

/** The official frontend's policy: a fixed delay, forever (design §4: ~400 attempts in a 120 s outage). */
export function fixedBackoff(ms: number): BackoffPolicy {
  return { name: `fixed ${ms} ms`, delay: () => ms };
}

/** A popular SDK's policy: doubling from `initialMs` to `maxMs`, giving up after `maxAttempts`. */
export function cappedExponentialBackoff(
  initialMs: number,
  maxMs: number,
  maxAttempts: number,
): BackoffPolicy {
  return {
    name: `${initialMs / 1000}-${maxMs / 1000} s, ${maxAttempts} attempts`,
    delay: (failures) => (failures >= maxAttempts ? null : Math.min(initialMs * 2 ** failures, maxMs)),
  };
}

export const defaultBackoff: BackoffPolicy = scheduleBackoff();

function clamp01(x: number): number {
  return x < 0 ? 0 : x >= 1 ? 0.999_999 : x;
}

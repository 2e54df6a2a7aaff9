/**
 * Reconnect schedules. A policy maps "how many retries have already failed in a row" to the delay before
 * the next handshake; `null` means give up (only the peer policies kept for the benchmark ever do). It
 * may also say how often to ask HTTP whether the server is back while it waits (`probeDelay`).
 *
 * The default policy is shaped by three facts (design.md §4):
 * - Most outages are ComfyUI restarts: 5-6 s bare, 10-30 s with many custom nodes, often in bursts.
 *   While the server restarts its port refuses connections, and a refused TCP connect costs it nothing.
 * - A long outage must not cost hundreds of WebSocket handshakes (each one a registration and, on a
 *   server that rejects us, a log line), so handshakes double to a 30 s cap (<= 20 in 120 s).
 * - No pure time schedule is both quick after a restart and sparse in a long outage. So between
 *   handshakes the socket asks HTTP (`GET /api/prompt`, the official frontend's own poll) every 0.5 s
 *   during the first 30 s of an outage, every 2 s up to 5 min, then every 5 s, and dials the moment it
 *   answers. A restart of any length is then noticed within about one probe period.
 */
import type { Random } from './types';

export interface BackoffPolicy {
  readonly name: string;
  /** Delay in ms before retry number `failures + 1`, or null to give up. */
  delay(failures: number, random: Random): number | null;
  /**
   * While waiting for the next handshake, the delay before the next HTTP reachability probe, given how
   * long the server has been unreachable; null or absent: never probe. Used only when the socket has a
   * `probe`.
   */
  probeDelay?(downForMs: number, random: Random): number | null;
}

/** Base delays of the default policy; every later retry uses the last entry. */
export const DEFAULT_SCHEDULE_MS: readonly number[] = [
  250, 500, 1000, 1000, 1000, 1000, 1000, 1000, 2000, 4000, 8000, 16000, 30000,
];

/** Bounded proportional jitter: delay = base × [1 - J, 1 + J). Spreads clients without hollowing the 1 s grid. */
export const DEFAULT_JITTER = 0.2;

/** Retries that happen within the quick phase (the outage is probably a restart); later ones are "offline". */
export const QUICK_PHASE_RETRIES = DEFAULT_SCHEDULE_MS.indexOf(2000);

/** HTTP probe periods while the server is unreachable: `[until ms into the outage, period]`, last forever. */
export const DEFAULT_PROBE_PERIODS: readonly (readonly [number, number])[] = [
  [30_000, 500], // restarts, even slow ones with many custom nodes: back within ~0.25 s of the server
  [300_000, 2_000],
  [Number.POSITIVE_INFINITY, 5_000],
];

export function scheduleBackoff(
  schedule: readonly number[] = DEFAULT_SCHEDULE_MS,
  jitter = DEFAULT_JITTER,
  probePeriods: readonly (readonly [number, number])[] | null = DEFAULT_PROBE_PERIODS,
): BackoffPolicy {
  const jittered = (base: number, random: Random) =>
    Math.round(base * (1 - jitter + 2 * jitter * clamp01(random())));
  return {
    name: 'comfypulse',
    delay: (failures, random) => jittered(schedule[Math.min(failures, schedule.length - 1)]!, random),
    ...(probePeriods && {
      probeDelay: (downForMs: number, random: Random) =>
        jittered((probePeriods.find(([until]) => downForMs < until) ?? probePeriods.at(-1)!)[1], random),
    }),
  };
}

/**
 * The official frontend's policy: a fixed delay, forever (design.md §4: ~400 attempts in a 120 s outage).
 * No HTTP probes: its `GET /api/prompt` poll starts only when the very first connection fails.
 */
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

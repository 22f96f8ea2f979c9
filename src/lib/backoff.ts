/**
 * Reconnect delays: exponential growth capped at maxMs, with jitter taken off the top so that many sessions
 * dropped by the same outage do not reconnect in lockstep, and the cap is never exceeded.
 */
export interface BackoffOptions {
  /** Delay before the first retry. */
  baseMs: number;
  /** Upper bound of every delay. */
  maxMs: number;
  /** Fraction in [0, 1] of each delay that is randomised: delay ∈ [d·(1 − jitter), d]. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ baseMs: 1000, maxMs: 60_000, jitter: 0.2 });

/** Delay before retry number `attempt` (1-based). `random` returns [0, 1), injectable for tests. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer: ${attempt}`);
  const jitter = Math.min(1, Math.max(0, options.jitter));
  // 2 ** (attempt - 1) overflows to Infinity for huge attempts; Math.min keeps it at the cap.
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling * (1 - jitter * random()));
}

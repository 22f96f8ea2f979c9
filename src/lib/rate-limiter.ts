/**
 * Messages per minute per instance, as a sliding window over the last 60 s of sends (not a token bucket: a burst
 * can never exceed the limit within any minute, which is what WhatsApp's spam heuristics look at). In memory: a
 * restart starts every window afresh.
 */

const WINDOW_MS = 60_000;

export class SlidingWindowLimiter {
  readonly #sent = new Map<string, number[]>();

  constructor(private readonly perMinute: number) {
    if (!(Number.isInteger(perMinute) && perMinute >= 1))
      throw new RangeError(`perMinute must be an integer >= 1: ${perMinute}`);
  }

  /** Milliseconds until the instance may send again (0: now). */
  delay(key: string, now: number): number {
    const times = this.#prune(key, now);
    if (times.length < this.perMinute) return 0;
    return times[times.length - this.perMinute]! + WINDOW_MS - now;
  }

  /** Counts a send. */
  take(key: string, now: number): void {
    const times = this.#prune(key, now);
    times.push(now);
    this.#sent.set(key, times);
  }

  forget(key: string): void {
    this.#sent.delete(key);
  }

  #prune(key: string, now: number): number[] {
    const times = (this.#sent.get(key) ?? []).filter((t) => t > now - WINDOW_MS);
    if (times.length === 0) this.#sent.delete(key);
    else this.#sent.set(key, times);
    return times;
  }
}

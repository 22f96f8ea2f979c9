import type { EngineSession } from '../engine/types.ts';

/**
 * One engine connection attempt of an instance, with its start watchdog. The manager keeps at most one current
 * attempt per instance and ignores events of any other, so a late close of an old connection cannot touch the
 * status of the new one.
 */
export class Attempt {
  /** Set once the connection opened (WORKING): unlinking needs a live connection. */
  opened = false;
  /** Resolves on the first QR, open or close, or on dispose (boot restore paces itself on it). */
  readonly settled: Promise<void>;
  #settle!: () => void;
  #watchdog: NodeJS.Timeout | null;

  constructor(
    readonly session: EngineSession,
    watchdogMs: number,
    onWatchdog: () => void,
  ) {
    this.settled = new Promise<void>((resolve) => (this.#settle = resolve));
    this.#watchdog = setTimeout(() => {
      this.#watchdog = null;
      onWatchdog();
    }, watchdogMs);
  }

  /** The engine showed a sign of life or ended: the watchdog is no longer needed. */
  signOfLife(): void {
    this.#clearWatchdog();
    this.#settle();
  }

  /** No longer current: no timer may outlive it. */
  dispose(): void {
    this.#clearWatchdog();
    this.#settle();
  }

  get watchdogArmed(): boolean {
    return this.#watchdog !== null;
  }

  #clearWatchdog(): void {
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = null;
  }
}

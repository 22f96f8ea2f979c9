import type { EngineClose, EngineIdentity, EngineQr, EngineSession } from '../engine/index.ts';

/** What the manager does with each engine event of the current attempt (called synchronously, in emit order). */
export interface AttemptHandlers {
  qr(qr: EngineQr): void;
  open(identity: EngineIdentity): void;
  identity(identity: EngineIdentity): void;
  close(close: EngineClose): void;
  watchdog(): void;
}

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

  #current = true;

  /** Wires the session's events to the handlers; nothing reaches them once the attempt is disposed. */
  constructor(
    readonly session: EngineSession,
    watchdogMs: number,
    handlers: AttemptHandlers,
  ) {
    this.settled = new Promise<void>((resolve) => (this.#settle = resolve));
    this.#watchdog = setTimeout(() => {
      this.#watchdog = null;
      if (this.#current) handlers.watchdog();
    }, watchdogMs);
    session.on('qr', (qr) => {
      if (!this.#current) return;
      this.signOfLife();
      handlers.qr(qr);
    });
    session.on('open', (identity) => {
      if (!this.#current) return;
      this.opened = true;
      this.signOfLife();
      handlers.open(identity);
    });
    session.on('identity', (identity) => {
      if (this.#current) handlers.identity(identity);
    });
    session.on('close', (close) => {
      if (!this.#current) return;
      this.signOfLife();
      handlers.close(close);
    });
  }

  /** The engine showed a sign of life or ended: the watchdog is no longer needed. */
  signOfLife(): void {
    this.#clearWatchdog();
    this.#settle();
  }

  /** No longer current: its events are dropped and no timer may outlive it. */
  dispose(): void {
    this.#current = false;
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

import type { Logger } from 'pino';
import type { EngineSession } from '../engine/index.ts';
import type { LeaseToken, OutboundRecord, OutboundStore } from '../store/index.ts';
import { LeaseLostError, type Store } from '../store/index.ts';
import { SlidingWindowLimiter } from '../lib/index.ts';

/**
 * Drains each instance's durable outbound queue, one message at a time, strictly in queue order, while the instance
 * can send (WORKING with an open connection) and within its rate limit.
 *
 * Guarantee: a row is marked sent only after the engine accepted it, so a crash between the two re-sends it on the
 * next boot: at least once, with the SAME WhatsApp message id (chosen when it was queued). Without a crash exactly
 * once. A send that fails while connected is retried with backoff, up to `maxAttempts`, then marked failed and the
 * queue moves on; a send that fails because the connection went away costs no attempt and waits for the next
 * WORKING (the caller kicks the sender on every WORKING).
 */

/** Where a send goes: the instance's open session while it may send (WORKING), else null. */
export type SendTarget = (instanceId: string) => EngineSession | null;

/**
 * Several nodes (docs/multi-node.md "Fencing"): the instance's lease token, carried by every mark the sender writes, so
 * a node that lost the instance cannot mark a row the new owner is about to send. Throws LeaseLostError when this node
 * holds no lease for it.
 */
export type LeaseOf = (instanceId: string) => LeaseToken;

export interface SenderOptions {
  /** Messages per minute per instance. */
  ratePerMin: number;
  /** First retry delay after a failed send; doubles per attempt up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Attempts (failures while connected) before a message is marked failed. */
  maxAttempts: number;
}

export const DEFAULT_SENDER_OPTIONS: SenderOptions = {
  ratePerMin: 60,
  retryBaseMs: 1_000,
  retryMaxMs: 60_000,
  maxAttempts: 5,
};

type Settled = (row: OutboundRecord | null) => void;

export class OutboundSender {
  readonly options: SenderOptions;
  readonly #limiter: SlidingWindowLimiter;
  /** Instances with a drain in progress; a kick during it asks for one more pass. */
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #waiters = new Map<string, Set<Settled>>();
  #sweepTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(
    private readonly store: Pick<Store, 'outbound' | 'tx'>,
    private readonly target: SendTarget,
    private readonly log: Logger,
    options: Partial<SenderOptions> = {},
    private readonly now: () => number = Date.now,
    private readonly leaseOf: LeaseOf | null = null,
  ) {
    this.options = { ...DEFAULT_SENDER_OPTIONS, ...options };
    this.#limiter = new SlidingWindowLimiter(this.options.ratePerMin);
  }

  /** Look at the instance's queue now (new message, instance became WORKING, a timer fired). */
  kick(instanceId: string): void {
    if (this.#closed) return;
    if (this.#running.has(instanceId)) {
      this.#again.add(instanceId);
      return;
    }
    this.#clearTimer(instanceId);
    const run = this.#drain(instanceId)
      .catch((err: unknown) => {
        this.log.error({ err, instanceId }, 'outbound queue drain failed; retrying later');
        this.#schedule(instanceId, this.options.retryBaseMs);
      })
      .finally(() => {
        this.#running.delete(instanceId);
        if (this.#again.delete(instanceId)) this.kick(instanceId);
      });
    this.#running.set(instanceId, run);
  }

  /**
   * Resolves with the row once it left the queue (sent or failed), or with null after timeoutMs (still queued:
   * rate limit, reconnect, retry). Never rejects.
   */
  settled(id: string, timeoutMs: number): Promise<OutboundRecord | null> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(id);
      if (!set) this.#waiters.set(id, (set = new Set()));
      const done: Settled = (row) => {
        clearTimeout(timer);
        set!.delete(done);
        if (set!.size === 0 && this.#waiters.get(id) === set) this.#waiters.delete(id);
        resolve(row);
      };
      const timer = setTimeout(() => done(null), timeoutMs);
      set.add(done);
      // It may have settled before we started waiting.
      void this.store.outbound.get(id).then(
        (row) => row && row.status !== 'queued' && done(row),
        () => undefined,
      );
    });
  }

  /**
   * Several nodes: every `everyMs`, kick every instance that has queued rows. A row queued by another node (whose
   * instance's owner was lost when the call came) is thereby sent by whichever node runs the instance, even when it
   * was queued after that node's WORKING kick. Instances not WORKING here are passed over at once (no target).
   */
  sweepEvery(everyMs: number): void {
    if (this.#sweepTimer || this.#closed) return;
    this.#sweepTimer = setInterval(() => {
      this.store.outbound.queuedInstances().then(
        (ids) => ids.forEach((id) => this.target(id) && this.kick(id)),
        (err: unknown) => this.log.warn({ err }, 'outbound sweep failed'),
      );
    }, everyMs);
    this.#sweepTimer.unref();
  }

  /** Stops timers and waits for sends in flight; queued rows stay for the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    for (const id of [...this.#timers.keys()]) this.#clearTimer(id);
    await Promise.all([...this.#running.values()]);
    for (const set of this.#waiters.values()) for (const done of [...set]) done(null);
  }

  get activeTimers(): number {
    return this.#timers.size;
  }

  async #drain(instanceId: string): Promise<void> {
    while (!this.#closed) {
      const session = this.target(instanceId);
      if (!session) return; // not WORKING: the next WORKING kicks us
      const head = await this.store.outbound.head(instanceId);
      if (!head) return;
      const now = this.now();
      const wait = Math.max(Date.parse(head.nextAttemptAt) - now, this.#limiter.delay(instanceId, now));
      if (wait > 0) return this.#schedule(instanceId, wait);
      this.#limiter.take(instanceId, now);
      if (!(await this.#sendOne(instanceId, session, head))) return;
    }
  }

  /** One attempt. False when draining should stop (connection gone, or a retry is scheduled). */
  async #sendOne(instanceId: string, session: EngineSession, row: OutboundRecord): Promise<boolean> {
    try {
      const sent = await session.sendText({ to: row.chatJid, text: row.body, replyTo: row.replyTo, id: row.id });
      await this.#mark(instanceId, (o) =>
        o.markSent(row.id, { sentAt: new Date(this.now()).toISOString(), waTimestamp: sent.timestamp }),
      );
      this.#notify(row.id);
      return true;
    } catch (err) {
      if (err instanceof LeaseLostError) {
        // Another node owns the instance now: the row stays queued for it (sent again with the same id if it left).
        this.log.warn({ instanceId, id: row.id }, 'lease lost during a send; the new owner sends what is queued');
        return false;
      }
      if (this.target(instanceId) !== session) {
        this.log.info({ instanceId, id: row.id }, 'connection went away during a send; it waits for the next WORKING');
        return false;
      }
      const attempts = row.attempts + 1;
      const final = attempts >= this.options.maxAttempts;
      const delay = Math.min(this.options.retryBaseMs * 2 ** (attempts - 1), this.options.retryMaxMs);
      const message = err instanceof Error ? err.message : String(err);
      this.log.warn({ err, instanceId, id: row.id, attempts, final }, 'send failed');
      await this.#mark(instanceId, (o) =>
        o.recordFailure(row.id, {
          error: message || 'send failed',
          nextAttemptAt: new Date(this.now() + delay).toISOString(),
          final,
        }),
      );
      if (final) {
        this.#notify(row.id);
        return true; // the queue moves on
      }
      this.#schedule(instanceId, delay);
      return false;
    }
  }

  /** A write for a row of the instance, fenced with its lease when clustered. */
  async #mark<T>(instanceId: string, write: (outbound: OutboundStore) => Promise<T>): Promise<T> {
    if (!this.leaseOf) return write(this.store.outbound);
    const lease = this.leaseOf(instanceId);
    return this.store.tx((tx) => write(tx.outbound), { lease });
  }

  #notify(id: string): void {
    const set = this.#waiters.get(id);
    if (!set || set.size === 0) return;
    void this.store.outbound.get(id).then(
      (row) => {
        for (const done of [...set]) done(row);
      },
      () => undefined,
    );
  }

  #schedule(instanceId: string, delayMs: number): void {
    if (this.#closed) return;
    this.#clearTimer(instanceId);
    const timer = setTimeout(
      () => {
        this.#timers.delete(instanceId);
        this.kick(instanceId);
      },
      Math.max(1, delayMs),
    );
    this.#timers.set(instanceId, timer);
  }

  #clearTimer(instanceId: string): void {
    const timer = this.#timers.get(instanceId);
    if (timer) clearTimeout(timer);
    this.#timers.delete(instanceId);
  }
}

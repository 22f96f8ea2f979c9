import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Store } from '../store/index.ts';
import type { ClaimedLane, DeliveryOutcome, DeliveryWork } from '../store/index.ts';
import type { EventBus } from '../events/index.ts';
import { GroupCommit } from '../lib/index.ts';
import type { SecretBox } from './secret-box.ts';
import { WebhookSender } from './webhook-post.ts';
import { signatureFor } from './hmac-signature.ts';
import { urlForLog } from './url-safety.ts';

/**
 * Delivers the webhook outbox. Work comes from the store, never from memory: deliveries are rows written with their
 * event, so whatever this process knew when it died is still there for the next one (or another node).
 *
 * - Unit of work: a lane = (subscription, instance). A lane is leased as a whole (PostgreSQL: FOR UPDATE SKIP LOCKED),
 *   and its holder sends its deliveries one at a time in event order; a failed head blocks the lane until its retry,
 *   a dead one (retry horizon passed) lets it move on. Other lanes are unaffected.
 * - Concurrency: at most `concurrency` lanes at once, so at most that many requests in flight.
 * - Wake-ups: the bus (a local event was committed), a timer for the next scheduled retry, and a slow poll for
 *   everything else (other nodes' events, expired leases of a dead node).
 * - At least once: an attempt is recorded after the request (outcomes of all lanes are group-committed); a crash in
 *   between means the receiver may see it twice, with the same X-Switchboard-Event-Id.
 */

export interface DispatcherOptions {
  /** Lanes worked at once (= requests in flight). */
  concurrency: number;
  /** Per request, connect to last byte. */
  timeoutMs: number;
  /** From (re)queueing to giving up: then `dead` with the last error. */
  retryHorizonMs: number;
  backoff: { baseMs: number; maxMs: number };
  /** How long a claimed lane stays ours without renewal; renewed while working. */
  leaseMs: number;
  pollMs: number;
  /** Deliveries read per lane query. */
  batch: number;
  /** Deliveries per lease before the lane goes back to the queue, so one busy lane cannot hog a slot. */
  maxPerLease: number;
  allowPrivate: boolean;
  userAgent: string;
}

export const DEFAULT_DISPATCHER_OPTIONS: DispatcherOptions = {
  concurrency: 128,
  timeoutMs: 10_000,
  retryHorizonMs: 24 * 3600_000,
  backoff: { baseMs: 1000, maxMs: 3600_000 },
  leaseMs: 60_000,
  pollMs: 1000,
  batch: 32,
  maxPerLease: 200,
  allowPrivate: false,
  userAgent: 'Switchboard-Webhooks',
};

/** Exponential backoff with "equal jitter": half the step fixed, half random, so retries of many lanes spread out. */
export function retryDelay(attempt: number, backoff: DispatcherOptions['backoff'], random = Math.random): number {
  const step = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

export interface DispatcherDeps {
  store: Store;
  bus?: EventBus;
  secrets: SecretBox;
  logger: Logger;
  options?: Partial<DispatcherOptions>;
}

export class WebhookDispatcher {
  readonly #store: Store;
  readonly #bus: EventBus | undefined;
  readonly #secrets: SecretBox;
  readonly #log: Logger;
  readonly #opts: DispatcherOptions;
  readonly #sender: WebhookSender;
  readonly #token = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  readonly #active = new Map<string, Promise<void>>();
  readonly #secretCache = new Map<string, string>();
  readonly #outcomes: GroupCommit<{ id: string; generation: number; outcome: DeliveryOutcome }, boolean>;
  #unsubscribe: (() => void) | null = null;
  #poll: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #retryAt = Infinity;
  #running = false;
  #filling = false;
  #again = false;

  constructor(deps: DispatcherDeps) {
    this.#store = deps.store;
    this.#bus = deps.bus;
    this.#secrets = deps.secrets;
    this.#log = deps.logger;
    this.#opts = { ...DEFAULT_DISPATCHER_OPTIONS, ...deps.options };
    this.#sender = new WebhookSender({
      timeoutMs: this.#opts.timeoutMs,
      allowPrivate: this.#opts.allowPrivate,
      userAgent: this.#opts.userAgent,
      maxSockets: this.#opts.concurrency,
    });
    // A few milliseconds of waiting buys one commit for a whole batch of outcomes.
    this.#outcomes = new GroupCommit((items) => this.#store.webhooks.completeDeliveries(items), 512, 5);
  }

  async start(): Promise<void> {
    if (this.#running) return;
    // SQLite means one process: leases left by a killed predecessor are not in flight any more. (PostgreSQL nodes
    // wait for them to expire instead: another node may really be working them.)
    if (this.#store.kind === 'sqlite') await this.#store.webhooks.releaseAllLanes();
    this.#running = true;
    this.#unsubscribe = this.#bus?.subscribe(() => this.wake()) ?? null;
    this.#poll = setInterval(() => this.wake(), this.#opts.pollMs);
    // A poll is no reason to keep the process alive: stop() is the way out, this only guards a forgotten one.
    this.#poll.unref();
    this.wake();
  }

  /** Look for due work now (coalesced). */
  wake(): void {
    if (!this.#running) return;
    if (this.#filling) {
      this.#again = true;
      return;
    }
    this.#filling = true;
    void this.#fill().finally(() => {
      this.#filling = false;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  /** Stops claiming, lets the requests in flight finish (each bounded by the timeout), releases their lanes. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#unsubscribe?.();
    if (this.#poll) clearInterval(this.#poll);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    await Promise.allSettled([...this.#active.values()]);
    this.#sender.close();
  }

  async #fill(): Promise<void> {
    try {
      while (this.#running) {
        const slots = this.#opts.concurrency - this.#active.size;
        if (slots <= 0) return;
        const now = Date.now();
        const lanes = await this.#store.webhooks.claimLanes({
          now: new Date(now).toISOString(),
          leaseUntil: new Date(now + this.#opts.leaseMs).toISOString(),
          limit: slots,
          token: this.#token,
        });
        for (const lane of lanes) {
          const run = this.#runLane(lane).finally(() => {
            this.#active.delete(lane.id);
            this.wake();
          });
          this.#active.set(lane.id, run);
        }
        if (lanes.length < slots) return;
      }
    } catch (err) {
      this.#log.error({ err }, 'claiming webhook lanes failed');
    }
  }

  async #runLane(lane: ClaimedLane): Promise<void> {
    let handled = 0;
    let renewAt = Date.now() + this.#opts.leaseMs / 3;
    // Outcomes not yet committed; awaited before the lane is read again or released, so neither sees them undone.
    let recording: Array<Promise<boolean>> = [];
    try {
      lane: while (this.#running && handled < this.#opts.maxPerLease) {
        await Promise.all(recording);
        recording = [];
        const work = await this.#store.webhooks.laneDeliveries(lane.id, this.#opts.batch);
        if (work.length === 0) break;
        for (const delivery of work) {
          if (!this.#running || handled >= this.#opts.maxPerLease) break lane;
          if (delivery.nextAttemptAt !== null && Date.parse(delivery.nextAttemptAt) > Date.now()) {
            this.#scheduleRetry(Date.parse(delivery.nextAttemptAt));
            break lane; // the head is backing off; the lane waits with it
          }
          if (Date.now() >= renewAt) {
            if (
              !(await this.#store.webhooks.renewLane(
                lane.id,
                lane.leaseToken,
                new Date(Date.now() + this.#opts.leaseMs).toISOString(),
              ))
            ) {
              this.#log.warn({ lane: lane.id }, 'webhook lane lease lost; leaving it to its new holder');
              return;
            }
            renewAt = Date.now() + this.#opts.leaseMs / 3;
          }
          const outcome = await this.#attempt(delivery);
          const recorded = this.#outcomes.add({ id: delivery.id, generation: delivery.generation, outcome });
          recorded.catch(() => undefined); // observed below; never an unhandled rejection if we leave early
          recording.push(recorded);
          handled++;
          if (outcome.status === 'failed') {
            this.#scheduleRetry(Date.parse(outcome.nextAttemptAt));
            break lane;
          }
        }
      }
      await Promise.all(recording);
    } catch (err) {
      this.#log.error({ err, lane: lane.id }, 'webhook lane failed');
    }
    try {
      await this.#store.webhooks.releaseLane(lane.id, lane.leaseToken);
    } catch (err) {
      // The lease expires on its own; the lane is picked up again then.
      this.#log.error({ err, lane: lane.id }, 'releasing webhook lane failed');
    }
  }

  async #attempt(d: DeliveryWork): Promise<DeliveryOutcome> {
    const body = d.body;
    const at = new Date();
    let result;
    try {
      const t = Math.floor(at.getTime() / 1000);
      result = await this.#sender.send(d.url, body, {
        'x-switchboard-event': d.event,
        'x-switchboard-event-id': d.eventId,
        'x-switchboard-delivery': d.id,
        'x-switchboard-attempt': String(d.attempts + 1),
        'x-switchboard-signature': signatureFor(this.#secret(d), body, t),
      });
    } catch (err) {
      result = { ok: false, status: null, error: `internal: ${(err as Error).message}` };
    }
    const done = new Date();
    if (result.ok) return { status: 'delivered', responseCode: result.status ?? 0, at: done.toISOString() };
    const error = result.error ?? 'failed';
    const next = done.getTime() + retryDelay(d.attempts + 1, this.#opts.backoff);
    if (next > Date.parse(d.queuedAt) + this.#opts.retryHorizonMs) {
      this.#log.warn(
        { delivery: d.id, event: d.eventId, url: urlForLog(d.url), error },
        'webhook delivery dead after its retry horizon',
      );
      return { status: 'dead', responseCode: result.status, error, at: done.toISOString() };
    }
    this.#log.debug({ delivery: d.id, event: d.eventId, error }, 'webhook delivery failed; will retry');
    return {
      status: 'failed',
      responseCode: result.status,
      error,
      nextAttemptAt: new Date(next).toISOString(),
      at: done.toISOString(),
    };
  }

  #secret(d: DeliveryWork): string {
    const key = `${d.subscriptionId}:${d.secret.toString('base64')}`;
    let plain = this.#secretCache.get(key);
    if (plain === undefined) {
      plain = this.#secrets.open(d.subscriptionId, d.secret);
      if (this.#secretCache.size > 10_000) this.#secretCache.clear();
      this.#secretCache.set(key, plain);
    }
    return plain;
  }

  /** A timer for the earliest known retry, so short backoffs do not wait for the poll. */
  #scheduleRetry(at: number): void {
    if (!this.#running || at >= this.#retryAt) return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryAt = at;
    this.#retryTimer = setTimeout(
      () => {
        this.#retryAt = Infinity;
        this.#retryTimer = null;
        this.wake();
      },
      Math.max(0, at - Date.now()) + 5,
    );
  }
}

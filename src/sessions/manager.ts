import type { Logger } from 'pino';
import type { Engine, EngineClose, EngineIdentity, EngineQr, EngineSession } from '../engine/index.ts';
import { AuthVault, LeaseLostError, type Store } from '../store/index.ts';
import type { AuthKeyValue, SessionStatus } from '../domain/index.ts';
import { DEFAULT_BACKOFF, KeyedSerialQueue, backoffDelay, forEachLimited, wake } from '../lib/index.ts';
import {
  IGNORE,
  IllegalTransitionError,
  closeEvent,
  retryOrGiveUp,
  transition,
  tryTransition,
  type LifecycleEvent,
} from './lifecycle.ts';
import { Attempt } from './connection-attempt.ts';
import {
  InvalidStateError,
  ManagerClosedError,
  OwnedElsewhereError,
  SessionNotFoundError,
  EngineRequestError,
} from './session-errors.ts';
import {
  DEFAULT_MANAGER_OPTIONS,
  type SessionManagerDeps,
  type SessionManagerOptions,
  type StatusSnapshot,
} from './manager-options.ts';
import { RUNNING_STATUSES, isCommand, isRunning, newRuntime, qrShown, type Runtime } from './instance-runtime.ts';
import { InstanceLeases, type Resumed } from './instance-leases.ts';
import { IdentityTracker, type ApplyExtra, type MeAnswer } from './identity-tracker.ts';
import { InstanceGoneError, StatusRecorder, type IdentityOp } from './status-recorder.ts';
import { armRetry, clearRetry, teardown } from './teardown.ts';

export { InvalidStateError, ManagerClosedError, OwnedElsewhereError, SessionNotFoundError };
export { DEFAULT_MANAGER_OPTIONS, type SessionManagerDeps, type SessionManagerOptions };
export type { StatusSnapshot, MeAnswer };

/**
 * Runs the WhatsApp sessions of this node. Every command, engine event and timer firing of one instance goes
 * through a per-instance serial queue, looks its (status × event) pair up in the lifecycle table and carries out
 * the effects the table names: tear the connection down, clear credentials, record the change (one store
 * transaction with its event), then connect or schedule a reconnect. Status is never set anywhere else.
 */

export class SessionManager {
  readonly options: SessionManagerOptions;
  readonly #store: Store;
  readonly #engine: Engine;
  readonly #authFor: (instanceId: string) => AuthKeyValue;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #recorder: StatusRecorder;
  readonly #identity: IdentityTracker;
  readonly #queue = new KeyedSerialQueue();
  readonly #runtimes = new Map<string, Runtime>();
  readonly #leases: InstanceLeases;
  #closed = false;

  constructor(deps: SessionManagerDeps) {
    this.#store = deps.store;
    this.#engine = deps.engine;
    this.#leases = new InstanceLeases(deps.ownership ?? null, deps.store, this.#runtimes);
    const lease = this.#leases.lease;
    this.#authFor = deps.authFor ?? ((id) => new AuthVault(deps.store, id, deps.masterKey, lease && (() => lease(id))));
    this.#log = deps.logger;
    this.#random = deps.random ?? Math.random;
    this.#recorder = new StatusRecorder(deps.store, deps.bus, undefined, lease);
    this.#identity = new IdentityTracker(deps.store, this.#recorder, deps.logger);
    const { backoff, ...rest } = deps.options ?? {};
    this.options = { ...DEFAULT_MANAGER_OPTIONS, ...rest, backoff: { ...DEFAULT_BACKOFF, ...backoff } };
    this.#leases.follow(
      (id) => void this.forget(id).catch(() => undefined),
      (claimed) => void this.#restore(claimed),
    );
  }

  // ---------------------------------------------------------------- commands

  /** STOPPED/FAILED → STARTING; idempotent on a running session (no reconnect). */
  start(instanceId: string): Promise<StatusSnapshot> {
    return this.#command(instanceId, 'start');
  }

  /** Ends the connection, keeps credentials. */
  stop(instanceId: string): Promise<StatusSnapshot> {
    return this.#command(instanceId, 'stop');
  }

  /** Ends any connection and connects again with the saved credentials. */
  restart(instanceId: string): Promise<StatusSnapshot> {
    return this.#command(instanceId, 'restart');
  }

  /** Unlinks the device, clears credentials and identity, shows a fresh QR. */
  logout(instanceId: string): Promise<StatusSnapshot> {
    return this.#command(instanceId, 'logout');
  }

  /** Phone-number pairing; only while a QR is shown. Returns "ABCD-1234". */
  requestPairingCode(instanceId: string, phone: string): Promise<string> {
    return this.#serial(instanceId, async (rt) => {
      await qrShown(rt, this.options.startTimeoutMs);
      const attempt = rt.attempt;
      if (rt.status !== 'SCAN_QR_CODE' || rt.qr === null || !attempt) throw new InvalidStateError(rt.status);
      return attempt.session
        .requestPairingCode(phone)
        .catch((err: unknown) => Promise.reject(new EngineRequestError('pairing code', err)));
    });
  }

  /** The QR currently shown, or null unless SCAN_QR_CODE with a QR received. */
  currentQr(instanceId: string): EngineQr | null {
    const rt = this.#runtimes.get(instanceId);
    return rt && rt.status === 'SCAN_QR_CODE' ? rt.qr : null;
  }

  /**
   * Like currentQr, but in SCAN_QR_CODE before the first QR of a fresh attempt (right after logout) it waits
   * up to timeoutMs for it. Not serialised: it only reads.
   */
  async waitForQr(instanceId: string, timeoutMs: number): Promise<EngineQr | null> {
    const rt = this.#runtimes.get(instanceId);
    if (!rt) return null;
    await qrShown(rt, timeoutMs);
    return this.currentQr(instanceId);
  }

  /** Identity from the live credentials while WORKING, else null. */
  liveIdentity(instanceId: string): EngineIdentity | null {
    const rt = this.#runtimes.get(instanceId);
    if (!rt || rt.status !== 'WORKING' || !rt.attempt) return null;
    return rt.attempt.session.identity();
  }

  /**
   * /v2/session/me from memory (no store, no engine): the cached identity while WORKING, else the status to report.
   * `storedStatus` is what the caller already read (used when this node does not run the instance).
   */
  me(instanceId: string, storedStatus: SessionStatus): MeAnswer {
    if (this.#closed) throw new ManagerClosedError();
    return this.#identity.answer(instanceId, this.#runtimes.get(instanceId)?.status, storedStatus);
  }

  /** Current status: this node's view when it runs the instance, else the stored one. */
  async status(instanceId: string): Promise<StatusSnapshot | null> {
    const rt = this.#runtimes.get(instanceId);
    if (rt) return { status: rt.status, reason: rt.reason };
    const instance = await this.#store.getInstance(instanceId);
    return instance ? { status: instance.status, reason: instance.reason } : null;
  }

  /** Ends the session and drops it from memory without recording anything; call before deleting the instance. */
  async forget(instanceId: string): Promise<void> {
    await this.#queue.run(instanceId, async () => {
      const rt = this.#runtimes.get(instanceId);
      if (!rt) return;
      this.#runtimes.delete(instanceId);
      this.#identity.committed(instanceId, 'STOPPED', null);
      await teardown(rt, 'end', this.options.teardownTimeoutMs, this.#log);
    });
  }

  /**
   * Boot: every instance stored as running (docs/http-api.md "Wawp routes": "instances that were running resume") goes
   * to STARTING/boot_restore and reconnects from stored credentials, restoreConcurrency at a time; resolves when every
   * attempt has settled. Clustered, the node's claims bring each node its share instead (InstanceLeases.follow).
   */
  async restoreAll(): Promise<number> {
    if (this.#leases.clustered) return 0;
    const instances = await this.#store.listInstancesByStatus([...RUNNING_STATUSES]);
    this.#log.info({ count: instances.length }, 'restoring sessions');
    await this.#restore(instances.map((i) => ({ id: i.id, event: 'boot' as const })));
    return instances.length;
  }

  async #restore(instances: Resumed[]): Promise<void> {
    await forEachLimited(instances, this.options.restoreConcurrency, async (instance) => {
      try {
        const settled = await this.#serial(instance.id, async (rt) => {
          // Already brought up by a command, or no longer running: nothing to restore.
          if (rt.attempt || rt.retryTimer || tryTransition(rt.status, instance.event) === null) return null;
          await this.#apply(rt, instance.event);
          // (re-read: #apply replaced the attempt, which the narrowing above cannot know)
          return (rt.attempt as Attempt | null)?.settled ?? null;
        });
        if (settled) await settled;
      } catch (err) {
        this.#log.error({ err, instanceId: instance.id }, 'boot restore failed');
      }
    });
  }

  /**
   * Process exit: ends every connection keeping credentials and WITHOUT recording STOPPED, so the next boot
   * restores the same sessions. Clears every timer. Later commands fail with ManagerClosedError.
   */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#identity.cache.clear();
    // A command that was already past its closed-check may add a runtime while we wait: go round again.
    while (this.#runtimes.size > 0) {
      const runtimes = [...this.#runtimes.values()];
      // Cancel timers first: a retry must not fire while we wait for the queues to drain.
      for (const rt of runtimes) clearRetry(rt);
      await Promise.all(
        runtimes.map((rt) =>
          this.#queue.run(rt.id, async () => {
            await teardown(rt, 'end', this.options.teardownTimeoutMs, this.#log);
            this.#runtimes.delete(rt.id);
          }),
        ),
      );
    }
  }

  /** Timers alive right now (tests assert none are left behind). */
  get activeTimers(): number {
    let n = 0;
    for (const rt of this.#runtimes.values()) n += (rt.retryTimer ? 1 : 0) + (rt.attempt?.watchdogArmed ? 1 : 0);
    return n;
  }

  // ---------------------------------------------------------------- internals

  #command(instanceId: string, event: LifecycleEvent): Promise<StatusSnapshot> {
    return this.#serial(instanceId, async (rt) => {
      if (tryTransition(rt.status, event) === null) throw new InvalidStateError(rt.status);
      await this.#apply(rt, event);
      return { status: rt.status, reason: rt.reason };
    });
  }

  /** Runs fn in the instance's queue with its runtime (loaded on first use); clustered, under its lease (enter). */
  #serial<T>(instanceId: string, fn: (rt: Runtime) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new ManagerClosedError());
    return this.#queue.run(instanceId, async () => {
      if (this.#closed) throw new ManagerClosedError();
      await this.#leases.enter(instanceId);
      const rt = await this.#load(instanceId);
      try {
        return await fn(rt);
      } finally {
        await this.#leases.letGo(rt);
      }
    });
  }

  async #load(instanceId: string): Promise<Runtime> {
    const existing = this.#runtimes.get(instanceId);
    if (existing) return existing;
    const instance = await this.#store.getInstance(instanceId);
    if (!instance) throw new SessionNotFoundError(instanceId);
    const rt = newRuntime(instance, this.#authFor(instanceId));
    this.#runtimes.set(instanceId, rt);
    return rt;
  }

  /**
   * Carries out one table entry. Order matters: the old connection is down before the change is recorded
   * (a watcher that sees STOPPED may start again at once), and the change is recorded before a new connection
   * is opened (its events queue up behind us and must find the new status).
   */
  async #apply(rt: Runtime, event: LifecycleEvent, extra: ApplyExtra = {}): Promise<void> {
    const entry = transition(rt.status, event);
    if (entry === IGNORE) return;
    if (isCommand(event)) rt.failures = 0;
    if (entry.session !== 'keep') await teardown(rt, entry.session, this.options.teardownTimeoutMs, this.#log);
    if (entry.credentials === 'clear') await rt.auth.clear();

    const identity: IdentityOp = entry.identity === 'save' ? { op: 'save', live: extra.live! } : { op: entry.identity };
    const from = rt.status;
    await this.#recorder.record({
      instanceId: rt.id,
      status: entry.to,
      reason: entry.reason,
      identity,
      extraEvents: extra.extraEvents,
      // Same tick as the commit, before the events go out: nobody sees the new status next to an old /me answer.
      committed: (saved) => {
        rt.status = entry.to;
        rt.reason = entry.reason;
        this.#identity.committed(rt.id, entry.to, saved);
      },
    });
    if (entry.to !== 'SCAN_QR_CODE') rt.qr = null;
    this.#log.info({ instanceId: rt.id, from, event, to: entry.to, reason: entry.reason }, 'session status');

    if (entry.session === 'connect' || entry.session === 'unlink_and_connect') this.#connect(rt);
    else if (entry.session === 'reconnect_later') this.#scheduleReconnect(rt);
    else await this.#leases.letGo(rt); // an engine event that ended the session (replaced, removed, failed)
  }

  #connect(rt: Runtime): void {
    let session: EngineSession;
    try {
      session = this.#engine.start({ instanceId: rt.id, auth: rt.auth });
    } catch (err) {
      // Treat a refused start like a dropped connection: the retry policy applies.
      this.#log.error({ err, instanceId: rt.id }, 'engine start failed');
      this.#enqueueEvent(rt, null, async () => {
        // Only if nothing happened in between (a stop, another attempt, a scheduled retry).
        if (rt.attempt !== null || rt.retryTimer !== null || !isRunning(rt.status)) return;
        await this.#onClose(rt, { reason: 'connection_lost', transient: true, message: String(err) });
      });
      return;
    }
    // Handlers only queue work (plus keep the QR at once, so a waiting /auth/qr or pairing request sees it):
    // every decision is taken in the instance's queue, in the order the engine emitted.
    const attempt: Attempt = new Attempt(session, this.options.startTimeoutMs, {
      qr: (qr) => {
        rt.qr = qr;
        wake(rt.qrWaiters);
        this.#enqueueEvent(rt, attempt, () => this.#onQr(rt));
      },
      open: (live) => this.#enqueueEvent(rt, attempt, () => this.#onOpen(rt, live)),
      identity: (live) => this.#enqueueEvent(rt, attempt, () => this.#onIdentity(rt, live)),
      close: (close) => {
        wake(rt.qrWaiters);
        this.#enqueueEvent(rt, attempt, () => this.#onClose(rt, close));
      },
      watchdog: () => this.#enqueueEvent(rt, attempt, () => this.#onWatchdog(rt)),
    });
    rt.attempt = attempt;
  }

  /** Queues an engine/timer event; dropped if its attempt is no longer current when its turn comes. */
  #enqueueEvent(rt: Runtime, attempt: Attempt | null, handler: () => Promise<void>): void {
    if (this.#closed) return;
    void this.#queue
      .run(rt.id, async () => {
        if (this.#closed || this.#runtimes.get(rt.id) !== rt) return;
        if (attempt !== null && rt.attempt !== attempt) return;
        await handler();
      })
      .catch(async (err: unknown) => {
        if (err instanceof InstanceGoneError || err instanceof LeaseLostError) {
          // Deleted underneath us (another node, or a delete that skipped forget), or no longer ours: stop quietly.
          this.#log.warn({ instanceId: rt.id }, 'instance gone or no longer ours; ending its session');
          await this.forget(rt.id).catch(() => undefined);
          return;
        }
        this.#log.error({ err, instanceId: rt.id }, 'session event handling failed');
      });
  }

  async #onQr(rt: Runtime): Promise<void> {
    rt.failures = 0; // the connection works: a QR is proof enough
    await this.#applyEngineEvent(rt, 'qr');
  }

  async #onOpen(rt: Runtime, live: EngineIdentity): Promise<void> {
    rt.failures = 0;
    // Checked before WORKING is ever recorded, so a wrong account never looks usable.
    const { event, extra } = await this.#identity.openEvent(rt.id, live);
    await this.#applyEngineEvent(rt, event, extra);
  }

  async #onIdentity(rt: Runtime, live: EngineIdentity): Promise<void> {
    if (rt.status === 'WORKING') await this.#identity.changed(rt.id, live);
  }

  async #onClose(rt: Runtime, close: EngineClose): Promise<void> {
    this.#log.info({ instanceId: rt.id, close }, 'engine closed');
    let event = closeEvent(close);
    if (event === 'connection_lost') {
      rt.failures++;
      event = retryOrGiveUp('connection_lost', rt.failures, this.options.maxRestarts);
    }
    await this.#applyEngineEvent(rt, event);
  }

  async #onWatchdog(rt: Runtime): Promise<void> {
    this.#log.warn({ instanceId: rt.id, timeoutMs: this.options.startTimeoutMs }, 'start watchdog expired');
    rt.failures++;
    await this.#applyEngineEvent(rt, retryOrGiveUp('watchdog_expired', rt.failures, this.options.maxRestarts));
  }

  /** Engine events cannot be refused: an illegal pair is logged loudly and not applied. */
  async #applyEngineEvent(rt: Runtime, event: LifecycleEvent, extra?: ApplyExtra): Promise<void> {
    try {
      await this.#apply(rt, event, extra);
    } catch (err) {
      if (!(err instanceof IllegalTransitionError)) throw err;
      this.#log.error({ instanceId: rt.id, status: rt.status, event }, 'illegal transition refused');
    }
  }

  #scheduleReconnect(rt: Runtime): void {
    const delay = backoffDelay(Math.max(1, rt.failures), this.options.backoff, this.#random);
    this.#log.info({ instanceId: rt.id, attempt: rt.failures, delay }, 'reconnect scheduled');
    armRetry(rt, delay, () =>
      this.#enqueueEvent(rt, null, async () => {
        // Still waiting to reconnect (a command in between would have changed status or attempt)?
        if (rt.status === 'STARTING' && rt.attempt === null && rt.retryTimer === null) this.#connect(rt);
      }),
    );
  }
}

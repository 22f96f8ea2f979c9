import { performance } from 'node:perf_hooks';
import {
  LeaseLostError,
  type AcquiredLease,
  type ClusterStore,
  type LeaseToken,
  type NodeInfo,
} from '../store/index.ts';
import type { StoreLogger } from '../store/index.ts';
import { clusterOptions, type ClusterOptions } from './options.ts';
import { shareOf } from './placement.ts';

/**
 * This process as one node of a cluster (docs/multi-node.md): its heartbeat, the leases it holds, and the loop that
 * renews them in one statement and says, through `onLost`, when it may no longer act for an instance.
 *
 * Loss is reported in two ways, both before anyone else can take the lease:
 * - `not_renewed`: a renewal came back without a lease this node thought it held (someone took it: it had expired);
 * - `renew_deadline`: no renewal succeeded for renewDeadlineMs (database unreachable, process paused); every lease is
 *   dropped locally, `token()` answers null from that instant, and the database still counts them as ours until ttl.
 * The owner of the sockets closes them on either. Writes stay safe even if it is too slow to: they carry the fence.
 */

export type LossReason = 'not_renewed' | 'renew_deadline';

export interface ClusterNodeDeps {
  store: ClusterStore;
  node: NodeInfo;
  options?: Partial<ClusterOptions>;
  logger?: StoreLogger;
  /** Statuses whose instances need an owner; when set, the node claims its share of them on every scan. */
  claimStatuses?: readonly string[];
  /** Monotonic milliseconds (tests may pass their own). */
  clock?: () => number;
}

interface Held extends LeaseToken {
  /** When the acquisition's answer arrived (monotonic): a renewal sent later must return it. */
  at: number;
}

export class ClusterNode {
  readonly info: NodeInfo;
  readonly options: ClusterOptions;
  readonly #store: ClusterStore;
  readonly #log: StoreLogger | undefined;
  readonly #clock: () => number;
  readonly #claimStatuses: readonly string[] | null;
  readonly #held = new Map<string, Held>();
  readonly #lostListeners = new Set<(ids: string[], why: LossReason) => void>();
  readonly #acquiredListeners = new Set<(leases: AcquiredLease[]) => void>();
  /** Send time of the last renewal that succeeded; -Infinity: none yet. */
  #renewedAt = -Infinity;
  /** Acquisitions or releases in flight, and a counter moved by each: a renewal that overlapped one judges nothing. */
  #busy = 0;
  #epoch = 0;
  #renewTimer: NodeJS.Timeout | null = null;
  #deadlineTimer: NodeJS.Timeout | null = null;
  #scanTimer: NodeJS.Timeout | null = null;
  #running = false;
  #scanning: Promise<unknown> | null = null;
  #rescan = false;

  constructor(deps: ClusterNodeDeps) {
    this.info = deps.node;
    this.options = clusterOptions(deps.options);
    this.#store = deps.store;
    this.#log = deps.logger;
    this.#clock = deps.clock ?? (() => performance.now());
    this.#claimStatuses = deps.claimStatuses ?? null;
  }

  /** Registers the node (dropping what a previous run under its id held), renews once, then keeps renewing. */
  async start(): Promise<void> {
    if (this.#running) return;
    await this.#store.register(this.info, this.options.ttlMs);
    this.#running = true;
    await this.#renew();
    if (this.#claimStatuses) this.#scanTimer = setTimeout(() => this.wake(), this.options.joinDelayMs);
  }

  /** Leases lost from now on (the caller closes those instances' sockets at once). */
  onLost(listener: (instanceIds: string[], why: LossReason) => void): () => void {
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  /** Leases taken by a scan (the caller connects those instances). */
  onAcquired(listener: (leases: AcquiredLease[]) => void): () => void {
    this.#acquiredListeners.add(listener);
    return () => this.#acquiredListeners.delete(listener);
  }

  /** The token to write with, or null when this node does not hold the instance (or can no longer be sure it does). */
  token(instanceId: string): LeaseToken | null {
    if (!this.#withinDeadline()) return null;
    const held = this.#held.get(instanceId);
    return held ? { instanceId: held.instanceId, nodeId: held.nodeId, fence: held.fence } : null;
  }

  get nodeId(): string {
    return this.info.id;
  }

  /** The token, or LeaseLostError (fence 0: no lease at all) when this node may not write for the instance. */
  requireToken(instanceId: string): LeaseToken {
    const token = this.token(instanceId);
    if (!token) throw new LeaseLostError({ instanceId, nodeId: this.info.id, fence: 0 });
    return token;
  }

  /** The instance's token, taking its lease first if nobody holds it; null when another node holds it live. */
  async hold(instanceId: string): Promise<LeaseToken | null> {
    return this.token(instanceId) ?? (await this.acquire([instanceId]))[0] ?? null;
  }

  /** Time since the last successful renewal was sent (monotonic ms; null before the first): `/metrics`. */
  renewalAgeMs(): number | null {
    return Number.isFinite(this.#renewedAt) ? this.#clock() - this.#renewedAt : null;
  }

  /** Instance ids held now. */
  heldIds(): string[] {
    return this.#withinDeadline() ? [...this.#held.keys()] : [];
  }

  /** Takes these instances if nobody holds them (never steals a live lease). */
  acquire(instanceIds: readonly string[]): Promise<AcquiredLease[]> {
    return this.#acquiring(() => this.#store.acquire(this.info.id, instanceIds, this.options.ttlMs));
  }

  /** Takes this node's least-loaded share of the instances in `statuses` that nobody holds. */
  claim(statuses: readonly string[]): Promise<AcquiredLease[]> {
    return this.#acquiring(() =>
      this.#store.claim(this.info.id, statuses, this.options.ttlMs, (view) => shareOf(this.info.id, view)),
    );
  }

  /** Gives these instances up at once (their sockets must already be closed). */
  async release(instanceIds: readonly string[]): Promise<void> {
    const tokens: LeaseToken[] = [];
    for (const id of instanceIds) {
      const held = this.#held.get(id);
      if (!held) continue;
      this.#held.delete(id);
      tokens.push(held);
    }
    if (tokens.length === 0) return;
    this.#busy++;
    try {
      await this.#store.release(tokens);
    } finally {
      this.#busy--;
      this.#epoch++;
    }
  }

  /** Look for instances to claim now (coalesced); a lease notice from another node calls this. */
  wake(): void {
    if (!this.#running || !this.#claimStatuses) return;
    if (this.#scanning) {
      this.#rescan = true;
      return;
    }
    if (this.#scanTimer) clearTimeout(this.#scanTimer);
    this.#scanTimer = null;
    this.#scanning = this.#scan().finally(() => {
      this.#scanning = null;
      if (!this.#running) return;
      if (this.#rescan) {
        this.#rescan = false;
        this.wake();
      } else {
        this.#scanTimer = setTimeout(() => this.wake(), this.options.scanEveryMs);
      }
    });
  }

  /** Graceful leave: stops renewing and releases every lease at once (close the sockets first), node marked left. */
  async leave(): Promise<void> {
    this.#halt();
    await this.#scanning;
    this.#held.clear();
    await this.#store.leave(this.info.id);
  }

  /** Stops the loops without telling the database (what a crash looks like to the others; tests). */
  async halt(): Promise<void> {
    this.#halt();
    await this.#scanning;
  }

  async #scan(): Promise<void> {
    try {
      if (!this.#withinDeadline()) return;
      const taken = await this.claim(this.#claimStatuses!);
      if (taken.length > 0) for (const listener of this.#acquiredListeners) listener(taken);
    } catch (err) {
      this.#log?.warn({ err }, 'cluster claim failed');
    }
  }

  async #acquiring(fn: () => Promise<AcquiredLease[]>): Promise<AcquiredLease[]> {
    this.#busy++;
    try {
      const taken = await fn();
      const at = this.#clock();
      for (const lease of taken) this.#held.set(lease.instanceId, { ...lease, at });
      return taken;
    } finally {
      this.#busy--;
      this.#epoch++;
    }
  }

  #withinDeadline(): boolean {
    return this.#clock() - this.#renewedAt < this.options.renewDeadlineMs;
  }

  async #renew(): Promise<void> {
    if (!this.#running) return;
    const sentAt = this.#clock();
    const epoch = this.#epoch;
    const quiet = this.#busy === 0;
    let next = this.options.renewEveryMs;
    try {
      const renewed = await this.#store.heartbeat(this.info, this.options.ttlMs);
      if (!this.#running) return;
      if (!this.#withinDeadline() && this.#held.size > 0) this.#expire();
      this.#renewedAt = sentAt;
      this.#armDeadline();
      if (quiet && this.#busy === 0 && this.#epoch === epoch) await this.#reconcile(renewed, sentAt);
    } catch (err) {
      this.#log?.warn({ err, nodeId: this.info.id }, 'lease renewal failed');
      next = this.options.retryEveryMs;
    }
    if (this.#running) this.#renewTimer = setTimeout(() => void this.#renew(), next);
  }

  /** Compares a renewal's answer with what this node believes it holds. */
  async #reconcile(renewed: LeaseToken[], sentAt: number): Promise<void> {
    const back = new Map(renewed.map((t) => [t.instanceId, t.fence]));
    const lost: string[] = [];
    for (const held of this.#held.values()) {
      if (held.at < sentAt && back.get(held.instanceId) !== held.fence) lost.push(held.instanceId);
    }
    for (const id of lost) this.#held.delete(id);
    if (lost.length > 0) this.#tellLost(lost, 'not_renewed');
    // Leases the database gives us that we do not know (an acquisition whose answer was lost, or ones dropped at the
    // deadline and still unexpired): no socket is open for them, so hand them back for the next claim.
    const orphans = renewed.filter((t) => this.#held.get(t.instanceId)?.fence !== t.fence);
    if (orphans.length > 0) await this.#store.release(orphans);
  }

  #armDeadline(): void {
    if (this.#deadlineTimer) clearTimeout(this.#deadlineTimer);
    const left = this.#renewedAt + this.options.renewDeadlineMs - this.#clock();
    this.#deadlineTimer = setTimeout(
      () => {
        this.#deadlineTimer = null;
        if (!this.#running) return;
        // Timers run on libuv's millisecond loop clock and may fire a fraction early by ours: then wait the rest.
        if (this.#withinDeadline()) this.#armDeadline();
        else this.#expire();
      },
      Math.max(1, Math.ceil(left)),
    );
  }

  #expire(): void {
    const ids = [...this.#held.keys()];
    this.#held.clear();
    this.#log?.error(
      { nodeId: this.info.id, instances: ids.length },
      'lease renewal deadline passed; giving up every lease',
    );
    if (ids.length > 0) this.#tellLost(ids, 'renew_deadline');
  }

  #tellLost(ids: string[], why: LossReason): void {
    for (const listener of this.#lostListeners) listener(ids, why);
  }

  #halt(): void {
    this.#running = false;
    for (const timer of [this.#renewTimer, this.#deadlineTimer, this.#scanTimer]) if (timer) clearTimeout(timer);
    this.#renewTimer = this.#deadlineTimer = this.#scanTimer = null;
  }
}

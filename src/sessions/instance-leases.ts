import type { AcquiredLease, LeaseToken } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import { OwnedElsewhereError, SessionNotFoundError } from './session-errors.ts';
import type { InstanceOwnership } from './manager-options.ts';
import { isRunning, type Runtime } from './instance-runtime.ts';

/** An instance to bring up again from its stored credentials, and why. */
export interface Resumed {
  id: string;
  event: 'boot' | 'node_lost';
}

/**
 * The session manager's side of the cluster's leases (docs/multi-node.md): an instance is operated on only while this
 * node holds its lease, and an instance that needs no connection (STOPPED, FAILED) is let go, so any node can take it
 * with the next command. Without ownership (one process owns everything) every method is a no-op.
 */
export class InstanceLeases {
  /** The fencing token of each write for an instance (StatusRecorder, AuthVault); undefined: not clustered. */
  readonly lease: ((instanceId: string) => LeaseToken) | undefined;

  constructor(
    private readonly ownership: InstanceOwnership | null,
    private readonly store: Store,
    private readonly runtimes: Map<string, Runtime>,
  ) {
    this.lease = ownership ? (id) => ownership.requireToken(id) : undefined;
  }

  get clustered(): boolean {
    return this.ownership !== null;
  }

  /**
   * `end`: a lease was lost, another node owns the instance now (or may, any moment): end our side, recording nothing.
   * `resume`: leases the node claimed: `node_lost` when taken from another node whose lease expired, else `boot`.
   */
  follow(end: (instanceId: string) => void, resume: (claimed: Resumed[]) => void): void {
    const ownership = this.ownership;
    if (!ownership) return;
    ownership.onLost((ids) => ids.forEach(end));
    ownership.onAcquired((leases) => {
      const lost = (l: AcquiredLease) => l.takenFrom !== null && l.takenFrom !== ownership.nodeId;
      resume(leases.map((l) => ({ id: l.instanceId, event: lost(l) ? 'node_lost' : 'boot' })));
    });
  }

  /** Before an operation on the instance: hold its lease (taken if free), or SessionNotFound / OwnedElsewhere. */
  async enter(instanceId: string): Promise<void> {
    if (!this.ownership || (await this.ownership.hold(instanceId))) return;
    this.runtimes.delete(instanceId); // whatever we knew of it is another node's now
    if (!(await this.store.getInstance(instanceId))) throw new SessionNotFoundError(instanceId);
    throw new OwnedElsewhereError(instanceId);
  }

  /** After an operation or an engine event: an instance that needs no connection needs no owner. */
  async letGo(rt: Runtime): Promise<void> {
    if (!this.ownership || isRunning(rt.status) || rt.attempt || rt.retryTimer) return;
    this.runtimes.delete(rt.id);
    await this.ownership.release([rt.id]);
  }
}

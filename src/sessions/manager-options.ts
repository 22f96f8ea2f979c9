import type { Engine } from '../engine/index.ts';
import type { EventBus } from '../events/index.ts';
import type { Store } from '../store/index.ts';
import type { AuthKeyValue } from '../domain/index.ts';
import type { AcquiredLease, LeaseToken } from '../store/index.ts';
import type { Logger } from 'pino';
import { DEFAULT_BACKOFF, type BackoffOptions } from '../lib/index.ts';
import type { SessionStatus, StatusReason } from '../domain/index.ts';

/** Construction options and answer types of the SessionManager. */

export interface SessionManagerOptions {
  /** Longest an engine attempt may go without QR, open or close before it is retried (watchdog). */
  startTimeoutMs: number;
  /** Consecutive failed attempts that are retried; the next one ends in FAILED. */
  maxRestarts: number;
  backoff: BackoffOptions;
  /** Boot restore: at most this many sessions handshaking at once. */
  restoreConcurrency: number;
  /** Longest we wait for the engine to end or unlink a session before moving on. */
  teardownTimeoutMs: number;
}

export const DEFAULT_MANAGER_OPTIONS: SessionManagerOptions = Object.freeze({
  startTimeoutMs: 60_000,
  maxRestarts: 5,
  backoff: DEFAULT_BACKOFF,
  restoreConcurrency: 5,
  teardownTimeoutMs: 10_000,
});

export interface SessionManagerDeps {
  store: Store;
  engine: Engine;
  bus: EventBus;
  /** 32 bytes: encrypts each instance's WhatsApp credentials at rest (AuthVault). */
  masterKey: Buffer;
  /** Overrides the auth state factory (default: `new AuthVault(store, instanceId, masterKey)`). */
  authFor?: (instanceId: string) => AuthKeyValue;
  logger: Logger;
  options?: Partial<Omit<SessionManagerOptions, 'backoff'>> & { backoff?: Partial<BackoffOptions> };
  /** [0, 1) source for backoff jitter (tests). */
  random?: () => number;
  /**
   * Several nodes on one PostgreSQL (docs/multi-node.md): the leases of this node (src/cluster's ClusterNode). The
   * manager then runs an instance only while it holds its lease, writes for it fenced, restores what the node claims,
   * and lets go of what the node loses. Absent: this process owns every instance.
   */
  ownership?: InstanceOwnership;
}

/** What the manager needs of the cluster's leases (ClusterNode implements it). */
export interface InstanceOwnership {
  readonly nodeId: string;
  /** The instance's token, taking its lease if nobody holds it; null: another node holds it live. */
  hold(instanceId: string): Promise<LeaseToken | null>;
  /** The token to write with; throws LeaseLostError when this node may not write for the instance. */
  requireToken(instanceId: string): LeaseToken;
  /** Gives leases up at once (the connections are already closed). */
  release(instanceIds: readonly string[]): Promise<void>;
  /** Leases lost (taken over, or not renewed in time): end those sessions now, without recording anything. */
  onLost(listener: (instanceIds: string[]) => void): () => void;
  /** Leases the node claimed (boot, failover): resume those sessions. */
  onAcquired(listener: (leases: AcquiredLease[]) => void): () => void;
}

export interface StatusSnapshot {
  status: SessionStatus;
  reason: StatusReason;
}

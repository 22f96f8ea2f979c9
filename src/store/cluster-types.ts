/**
 * Storage side of running several nodes on one PostgreSQL (docs/multi-node.md): node rows, instance leases with fencing
 * numbers, and the change notifications every node listens to. All times are the database's clock
 * (`clock_timestamp()`), never a node's, so clock skew between nodes cannot make two of them believe they own an
 * instance; durations are passed in milliseconds.
 */

/** Proof of ownership a node carries with every write it makes for an instance. */
export interface LeaseToken {
  instanceId: string;
  nodeId: string;
  /** Grows by one with every acquisition of this instance's lease, by any node; never reused. */
  fence: number;
}

/** A lease just taken: the token, plus who held it before. */
export interface AcquiredLease extends LeaseToken {
  /** The node whose lease had expired (it died or was cut off), or null when the lease was free or new. */
  takenFrom: string | null;
}

export interface LeaseRecord {
  instanceId: string;
  /** null: released (nobody owns it). */
  nodeId: string | null;
  fence: number;
  expiresAt: string;
  /** Owned and not expired right now. */
  live: boolean;
}

/** Who holds an instance's lease (or last held it, expired), with what other nodes need to reach or judge it. */
export interface LeaseHolder {
  nodeId: string;
  /** The holder's internal URL (cluster_nodes.address); null when it takes no forwarded calls or has no row. */
  address: string | null;
  /** The lease is not expired. */
  live: boolean;
  /** Time since the holder's last heartbeat, on the database's clock (Infinity: no node row). */
  heartbeatAgeMs: number;
}

export interface NodeInfo {
  /** The node's stable name for this run (SWITCHBOARD_NODE_ID or generated). */
  id: string;
  /** Where other nodes reach its internal API (forwarding); null when it takes no forwarded calls. */
  address: string | null;
}

export interface NodeRecord extends NodeInfo {
  startedAt: string;
  heartbeatAt: string;
  expiresAt: string;
  leftAt: string | null;
  /** Heartbeat not expired and not left. */
  live: boolean;
  /** Live leases it holds. */
  instances: number;
}

/** What a claim decides on: the live nodes with their live lease counts, and how many instances nobody holds. */
export interface PlacementView {
  nodes: Array<{ id: string; instances: number }>;
  claimable: number;
}

/** A change another node (or the CLI, or anyone writing SQL) committed, as the database announced it. */
export type ClusterNotice =
  /** A token was revoked or an account changed. */
  | { kind: 'tokens' }
  /** An instance row changed or was deleted. */
  | { kind: 'instance'; id: string }
  /** An instance's identity row changed (the `/me` cache). */
  | { kind: 'identity'; id: string }
  /** Events were appended to the outbox (live streams, webhook dispatch). */
  | { kind: 'events' }
  /** A lease changed hands (acquired, released, taken over). */
  | { kind: 'lease'; id: string };

export interface ClusterStore {
  /**
   * Registers a (re)starting node: its row is created or reset (started now), and leases a previous run under the same
   * id still holds are released, since this process has no connection for them.
   */
  register(node: NodeInfo, ttlMs: number): Promise<void>;
  /**
   * One statement: the node's heartbeat, and every lease it holds that has not expired renewed to now + ttl (batch
   * renewal). Returns the leases renewed; a lease it believed it held and that is missing was lost.
   */
  heartbeat(node: NodeInfo, ttlMs: number): Promise<LeaseToken[]>;
  /** Takes the leases of these instances that are unowned or expired (never a live one); existing instances only. */
  acquire(nodeId: string, instanceIds: readonly string[], ttlMs: number): Promise<AcquiredLease[]>;
  /**
   * Takes a share of the instances in one of `statuses` that nobody holds: `plan` (run under a cluster-wide lock, so
   * concurrent claims see each other's result) says how many, given the live nodes' loads. Oldest instances first.
   */
  claim(
    nodeId: string,
    statuses: readonly string[],
    ttlMs: number,
    plan: (view: PlacementView) => number,
  ): Promise<AcquiredLease[]>;
  /** Gives leases up at once (fence-checked: a lease that changed hands meanwhile is left alone). Returns how many. */
  release(tokens: readonly LeaseToken[]): Promise<number>;
  /** Graceful leave: every lease of the node released, its row marked left. */
  leave(nodeId: string): Promise<number>;
  getLease(instanceId: string): Promise<LeaseRecord | null>;
  /** The node holding (or, expired, last holding) the instance's lease, joined with its node row; null: released/none. */
  leaseHolder(instanceId: string): Promise<LeaseHolder | null>;
  /**
   * Among these instances, those whose lease holder is lost: the lease expired without anyone taking it, or the
   * holder's heartbeat is older than `lostAfterMs` (it gave its leases up by its own rule, docs/multi-node.md).
   */
  lostHolders(instanceIds: readonly string[], lostAfterMs: number): Promise<string[]>;
  listNodes(): Promise<NodeRecord[]>;
  close(): Promise<void>;
}

/** A write carried a fencing token that is no longer the instance's current, live lease. */
export class LeaseLostError extends Error {
  constructor(readonly token: LeaseToken) {
    super(`lease of instance ${token.instanceId} (fence ${token.fence}) is no longer held by node ${token.nodeId}`);
    this.name = 'LeaseLostError';
  }
}

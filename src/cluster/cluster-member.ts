import { hostname } from 'node:os';
import type { LeaseHolder, NodeInfo, NodeRecord } from '../store/index.ts';
import type { StoreLogger } from '../store/index.ts';
import { PgChangeListener, createPostgresClusterStore } from '../store/postgres/index.ts';
import { ClusterNode } from './cluster-node.ts';
import type { ClusterOptions } from './options.ts';
import { HolderCache } from './holder-cache.ts';

/**
 * This process joining the cluster on a PostgreSQL database (docs/multi-node.md): its lease pool, its ClusterNode, and a
 * listener that wakes the claim scan when another node releases or moves a lease, so a graceful leave is picked up at
 * once rather than at the next scan.
 */

export interface ClusterMemberConfig {
  url: string;
  schema?: string;
  /** Default: `<hostname>:<pid>`, unique among the processes alive on one host. */
  nodeId?: string;
  /** Internal URL other nodes forward calls to (null: none). */
  address?: string | null;
  options?: Partial<ClusterOptions>;
  /** Statuses whose instances need an owner (the running ones). */
  claimStatuses: readonly string[];
  logger?: StoreLogger;
}

export interface ClusterMember {
  readonly node: ClusterNode;
  /** Every node the database knows, live or not, with the instances each holds (GET /admin/nodes). */
  nodes(): Promise<NodeRecord[]>;
  /** Who holds an instance's lease, for forwarding (cached briefly, dropped on the instance's lease notices). */
  holderOf(instanceId: string): Promise<LeaseHolder | null>;
  /** Among these instances, those whose holder is lost (lease expired unclaimed, or heartbeat past the renew deadline). */
  lostOwners(instanceIds: readonly string[]): Promise<ReadonlySet<string>>;
  /** Starts renewing and claiming (call once the session manager follows the node's leases). */
  start(): Promise<void>;
  /** Graceful: releases every lease at once (close the sessions first). Otherwise only stops the loops. */
  close(opts?: { leave?: boolean }): Promise<void>;
}

export const defaultNodeId = (): string => `${hostname()}:${process.pid}`;

export function clusterMember(config: ClusterMemberConfig): ClusterMember {
  const info: NodeInfo = { id: config.nodeId ?? defaultNodeId(), address: config.address ?? null };
  const store = createPostgresClusterStore({ url: config.url, schema: config.schema, logger: config.logger });
  const node = new ClusterNode({
    store,
    node: info,
    options: config.options,
    logger: config.logger,
    claimStatuses: config.claimStatuses,
  });
  const listener = new PgChangeListener({ url: config.url, schema: config.schema, logger: config.logger });
  const holders = new HolderCache((id) => store.leaseHolder(id));
  listener.subscribe((notice) => {
    if (notice.kind !== 'lease') return;
    holders.drop(notice.id);
    node.wake();
  });
  let closed = false;
  return {
    node,
    nodes: () => store.listNodes(),
    holderOf: (id) => holders.get(id, listener.version()),
    lostOwners: async (ids) => new Set(await store.lostHolders(ids, node.options.renewDeadlineMs)),
    async start() {
      await listener.start();
      await node.start();
    },
    async close(opts = {}) {
      if (closed) return;
      closed = true;
      await listener.close();
      if (opts.leave) await node.leave();
      else await node.halt();
      await store.close();
    },
  };
}

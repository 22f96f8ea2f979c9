import type { ClusterMember } from '../cluster/index.ts';
import type { NodeView } from '../metrics/index.ts';
import type { Store } from '../store/index.ts';
import { SINGLE_NODE_ID } from './http-app.ts';

/** Instances in these statuses need a connection, hence an owner. */
export const RUNNING_STATUSES = ['STARTING', 'SCAN_QR_CODE', 'WORKING'] as const;

/**
 * What `/health` and `/metrics` say about the node that answers (docs/multi-node.md "Node view"). In a cluster: its id,
 * the leases it holds, the age of its last renewal. Outside one (SQLite, or PostgreSQL without a cluster) it owns every
 * running instance and is named SWITCHBOARD_NODE_ID or `single`. On PostgreSQL also whether the store's change
 * listener hears the database (the caches and live streams depend on it).
 */
export function nodeView(deps: {
  cluster: ClusterMember | null;
  store: Pick<Store, 'kind' | 'changes' | 'listInstancesByStatus'>;
  configuredId: string | null;
}): NodeView {
  const { cluster, store } = deps;
  const changes = store.kind === 'postgres' ? store.changes : undefined;
  return {
    id: cluster?.node.nodeId ?? deps.configuredId ?? SINGLE_NODE_ID,
    instancesOwned: async () =>
      cluster ? cluster.node.heldIds().length : (await store.listInstancesByStatus([...RUNNING_STATUSES])).length,
    ...(cluster
      ? { leasesHeld: () => cluster.node.heldIds().length, renewalAgeMs: () => cluster.node.renewalAgeMs() }
      : {}),
    ...(changes ? { changeListenerConnected: () => changes.externalVersion() !== null } : {}),
  };
}

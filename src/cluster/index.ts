/**
 * Several nodes on one PostgreSQL (docs/multi-node.md): node heartbeats, instance leases with fencing numbers,
 * least-loaded placement. The SQL lives in the store (store/postgres/cluster-store.ts); this is the policy.
 */
export { ClusterNode, type ClusterNodeDeps, type LossReason } from './cluster-node.ts';
export { DEFAULT_CLUSTER_OPTIONS, clusterOptions, type ClusterOptions } from './options.ts';
export { shareOf } from './placement.ts';
export type {
  AcquiredLease,
  ClusterNotice,
  ClusterStore,
  LeaseRecord,
  LeaseToken,
  NodeInfo,
  NodeRecord,
  PlacementView,
} from '../store/index.ts';
export { LeaseLostError } from '../store/index.ts';
export { clusterMember, defaultNodeId, type ClusterMember, type ClusterMemberConfig } from './cluster-member.ts';

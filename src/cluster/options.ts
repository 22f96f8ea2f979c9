/**
 * Lease timings (docs/multi-node.md "Timings"). The order renewEvery < renewDeadline < ttl is what makes ownership
 * exclusive: a node that has not renewed for renewDeadline gives its instances up while the database still counts them
 * as its own for ttl - renewDeadline more, and nobody takes a lease before it expires.
 */
export interface ClusterOptions {
  /** How long a lease (and a node's heartbeat) lasts from its last renewal, by the database's clock. */
  ttlMs: number;
  /** Renewal period: one statement renews the heartbeat and every lease of the node. */
  renewEveryMs: number;
  /** After a failed renewal, try again this soon. */
  retryEveryMs: number;
  /**
   * Counted from when the last successful renewal was SENT (so it is never later than the database's expiry): past it,
   * the node reports every lease lost and must close those sockets. The gap to ttlMs is the time it has to do so.
   */
  renewDeadlineMs: number;
  /** How often a node looks for instances nobody holds (expired or released leases, new starts). */
  scanEveryMs: number;
  /** Wait before the first claim, so nodes started together see each other and share the instances. */
  joinDelayMs: number;
}

export const DEFAULT_CLUSTER_OPTIONS: Readonly<ClusterOptions> = Object.freeze({
  ttlMs: 10_000,
  renewEveryMs: 3_000,
  retryEveryMs: 1_000,
  renewDeadlineMs: 7_000,
  scanEveryMs: 1_000,
  joinDelayMs: 1_000,
});

export function clusterOptions(partial: Partial<ClusterOptions> = {}): ClusterOptions {
  const opts = { ...DEFAULT_CLUSTER_OPTIONS, ...partial };
  for (const [key, value] of Object.entries(opts)) {
    if (!Number.isInteger(value) || value < 0)
      throw new RangeError(`cluster option ${key} must be a whole number of ms`);
  }
  if (!(opts.renewEveryMs < opts.renewDeadlineMs && opts.renewDeadlineMs < opts.ttlMs)) {
    throw new RangeError('cluster options need renewEveryMs < renewDeadlineMs < ttlMs');
  }
  return opts;
}

import { SqlStore } from '../sql/sql-store.ts';
import type { Store } from '../store.ts';
import type { ClusterStore } from '../cluster-types.ts';
import { PgClusterStore } from './cluster-store.ts';
import { PostgresDriver, type PostgresOptions } from './postgres-driver.ts';

export type { PostgresOptions } from './postgres-driver.ts';

/**
 * The store's sessions end when idle inside a transaction this long (server-side). Its writes are fenced
 * (docs/multi-node.md "Fencing"): a node frozen mid-transaction holds its lease row share-locked, which would hold up a
 * takeover. Shorter than the lease ttl (10 s), so the lock goes about when the lease can expire: a node starts fenced
 * writes only within its renewal deadline (7 s), so a takeover waits at most 5 - 3 = 2 s longer, and only when the node
 * froze inside a transaction in the last 2 s before its deadline. Not shorter: under load the event loop can stall
 * for seconds between two statements of a transaction (pairing storms: 1-3 s), and each such stall would cost a write.
 */
export const STORE_IDLE_IN_TRANSACTION_MS = 5_000;

/** The shared store for one or many nodes. Call migrate() before use (safe on several nodes at once). */
export function createPostgresStore(opts: PostgresOptions): Store {
  const driver = new PostgresDriver({
    ...opts,
    idleInTransactionTimeoutMs: opts.idleInTransactionTimeoutMs ?? STORE_IDLE_IN_TRANSACTION_MS,
  });
  return new SqlStore(driver, { logger: opts.logger });
}

export const isPostgresUrl = (url: string | null | undefined): url is string =>
  typeof url === 'string' && /^postgres(ql)?:\/\//i.test(url.trim());

/**
 * The cluster's lease store (docs/multi-node.md), on a small pool of its own so renewals never queue behind the store's
 * work, with client-side timeouts so a renewal over a cut network fails in time instead of hanging.
 */
export function createPostgresClusterStore(opts: PostgresOptions & { timeoutMs?: number }): ClusterStore {
  const timeoutMs = opts.timeoutMs ?? 2_000;
  return new PgClusterStore(
    new PostgresDriver({
      ...opts,
      maxConnections: opts.maxConnections ?? 3,
      queryTimeoutMs: opts.queryTimeoutMs ?? timeoutMs,
      connectTimeoutMs: opts.connectTimeoutMs ?? timeoutMs,
      idleInTransactionTimeoutMs: opts.idleInTransactionTimeoutMs ?? timeoutMs,
      listen: false,
    }),
  );
}

export { PgChangeListener, parseNotice, type ChangeListenerOptions } from './change-listener.ts';
export { assertLease } from './cluster-store.ts';

/**
 * The small seam between the dialect-neutral Store (sql-store.ts) and a database driver. Everything that differs between
 * SQLite and PostgreSQL at the connection level lives behind it: placeholders, transactions, locking and value decoding.
 * The SQL text the Store writes uses `?` placeholders and only syntax both dialects accept
 * (ON CONFLICT ... DO UPDATE, RETURNING, CAST(... AS TEXT)).
 */

import type { StoreChange } from '../store.ts';

/** One connection (or the autocommit view of the pool): every call is one statement. */
export interface SqlConn {
  /** Rows of a query (or of a statement with RETURNING). */
  all<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Executes a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlDriver {
  readonly kind: 'sqlite' | 'postgres';
  /** Calls outside any transaction. On SQLite they wait for an open transaction to finish. */
  readonly conn: SqlConn;
  /** Runs fn on one connection between BEGIN and COMMIT; rolls back and rethrows if fn throws. */
  transaction<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T>;
  /**
   * Inside a migration transaction: make sure only one process migrates at a time and the target schema exists.
   * (SQLite: BEGIN IMMEDIATE already excludes other writers. PostgreSQL: an advisory lock, for nodes booting together.)
   */
  lockForMigration(conn: SqlConn): Promise<void>;
  /**
   * Inside a transaction that appends an event: make outbox sequence numbers become visible in order.
   * (PostgreSQL hands out BIGSERIAL values at INSERT time, not at COMMIT, so without this a reader resuming after seq N could
   * miss a slower transaction's N-1 that commits later. SQLite has a single writer, so nothing to do.)
   */
  lockForEventAppend(conn: SqlConn): Promise<void>;
  /** ` FOR UPDATE` where the dialect has row locks, '' where the whole database is locked by the transaction. */
  readonly forUpdate: string;
  /** ` FOR UPDATE SKIP LOCKED` (PostgreSQL: concurrent claimers take disjoint rows), '' on SQLite. */
  readonly skipLocked: string;
  /**
   * Synchronous: a value that changes whenever another connection may have committed something it did not announce
   * (SQLite: the WAL index / `PRAGMA data_version`; PostgreSQL: a reconnect of the change listener); null when the
   * driver cannot tell right now (PostgreSQL while not listening). See Store.changes.
   */
  externalVersion(): number | null;
  /**
   * Changes other connections committed, announced one by one (PostgreSQL: LISTEN/NOTIFY). Absent where the driver
   * only has a version (SQLite). Returns unsubscribe.
   */
  subscribeExternal?(listener: (change: StoreChange) => void): () => void;
  close(): Promise<void>;
}

/** Thrown when a transaction handle is used after its transaction ended (a leaked `tx` reference). */
export class TransactionClosedError extends Error {
  constructor() {
    super('store transaction already finished: use the store, not a tx handle kept after tx() returned');
    this.name = 'TransactionClosedError';
  }
}

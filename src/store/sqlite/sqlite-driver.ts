import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { TransactionClosedError, type SqlConn, type SqlDriver } from '../sql/sql-driver.ts';
import { ExternalChanges } from './external-changes.ts';

/** How long a statement waits for another process (e.g. the CLI next to a running server) holding the write lock. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Serializes async critical sections on the single connection: a promise chain, each section starts after the previous
 * one settled (whether it succeeded or not).
 */
class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => T | Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/** better-sqlite3 binds numbers, strings, bigints, Buffers and null; map the rest the way the schema expects. */
function bindable(params: readonly unknown[]): unknown[] {
  return params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

/**
 * better-sqlite3 is synchronous and has one connection, so "a transaction" means: nobody else may run a statement on the
 * connection between BEGIN and COMMIT, although the transaction's own code awaits in between. Every call therefore goes
 * through one mutex; a transaction holds it from BEGIN IMMEDIATE (take the write lock now, so a concurrent process
 * cannot make us fail half-way) to COMMIT/ROLLBACK, and its handle runs statements directly.
 *
 * One SqliteDriver per database file per process: a second connection in the same process would block the event loop
 * in busy_timeout while the first one waits for that very loop to commit.
 */
export class SqliteDriver implements SqlDriver {
  readonly kind = 'sqlite' as const;
  readonly forUpdate = '';
  readonly skipLocked = '';
  readonly conn: SqlConn;
  readonly #db: Db;
  readonly #mutex = new Mutex();
  readonly #statements = new Map<string, Statement>();
  #closed = false;
  readonly #external: ExternalChanges;

  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL never corrupts; a power loss (not a process crash) may lose the last commits.
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.#external = new ExternalChanges(this.#db, file);
    this.conn = this.#connection(
      () => true,
      (fn) => this.#mutex.run(fn),
    );
  }

  /** A SqlConn whose statements run through `gate` while `open()` holds. */
  #connection(open: () => boolean, gate: <T>(fn: () => T) => Promise<T>): SqlConn {
    const guarded = <T>(fn: () => T): Promise<T> =>
      gate(() => {
        if (!open()) throw new TransactionClosedError();
        this.#assertOpen();
        return fn();
      });
    return {
      all: <R>(sql: string, params: readonly unknown[] = []) =>
        guarded(() => {
          const stmt = this.#prepare(sql);
          if (stmt.readonly) return stmt.all(...bindable(params)) as R[];
          try {
            if (stmt.reader) return stmt.all(...bindable(params)) as R[]; // INSERT … RETURNING
            stmt.run(...bindable(params));
            return [] as R[];
          } finally {
            this.#external.afterOwnWrite();
          }
        }),
      run: (sql: string, params: readonly unknown[] = []) =>
        guarded(() => {
          try {
            return this.#prepare(sql).run(...bindable(params)).changes;
          } finally {
            this.#external.afterOwnWrite();
          }
        }),
      exec: (sql: string) =>
        guarded(() => {
          try {
            this.#db.exec(sql);
          } finally {
            this.#external.afterOwnWrite();
          }
        }),
    };
  }

  #prepare(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('store is closed');
  }

  transaction<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    return this.#mutex.run(async () => {
      this.#assertOpen();
      this.#db.exec('BEGIN IMMEDIATE');
      let active = true;
      // Statements of the transaction already hold the mutex: run them directly (async only to match SqlConn).
      const conn = this.#connection(
        () => active,
        async (f) => f(),
      );
      try {
        const result = await fn(conn);
        try {
          this.#db.exec('COMMIT');
        } finally {
          this.#external.afterOwnWrite();
        }
        return result;
      } catch (err) {
        // SQLite rolls back on its own after some errors (e.g. SQLITE_FULL); only roll back what is still open.
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw err;
      } finally {
        active = false;
      }
    });
  }

  /**
   * Changes when another connection (the offline CLI, another process) commits; our own commits do not change it
   * (external-changes.ts). Read outside the mutex on purpose: it is synchronous, and it is what lets an in-process
   * cache stay exact without a store round-trip (Store.changes).
   */
  externalVersion(): number | null {
    if (this.#closed) return null;
    return this.#external.version();
  }

  async lockForMigration(): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's write lock.
  }

  async lockForEventAppend(): Promise<void> {
    // A single writer at a time: AUTOINCREMENT values become visible in order.
  }

  close(): Promise<void> {
    // Wait for anything queued (an open transaction in particular) before closing the connection under it.
    return this.#mutex.run(() => {
      if (this.#closed) return;
      this.#closed = true;
      this.#statements.clear();
      this.#external.close();
      this.#db.close();
    });
  }
}

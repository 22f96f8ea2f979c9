import pg from 'pg';
import { asUnavailable } from '../database-unavailable.ts';
import type { StoreLogger } from '../store-logger.ts';
import type { StoreChange } from '../store.ts';
import { TransactionClosedError, type SqlConn, type SqlDriver } from '../sql/sql-driver.ts';
import { PgChangeListener } from './change-listener.ts';
import { withDefaultUser } from './connection-url.ts';

export { withDefaultUser } from './connection-url.ts';

export interface PostgresOptions {
  url: string;
  /** Schema to work in (search_path); created by migrate(). Tests use a throwaway one. Default: the server's default. */
  schema?: string;
  /** Pool size per node. */
  maxConnections?: number;
  /**
   * Client-side limits (default: none): a query or connect that takes longer fails and its connection is dropped. The
   * cluster's lease pool sets them, so a renewal over a cut network fails in time instead of hanging.
   */
  queryTimeoutMs?: number;
  connectTimeoutMs?: number;
  /**
   * Server-side: a session idle inside a transaction this long is ended, releasing its locks. A node frozen mid-transaction
   * (SIGSTOP, a long GC pause) must not hold a lease row or the placement lock past its lease.
   */
  idleInTransactionTimeoutMs?: number;
  /**
   * Keep a connection LISTENing to the schema's change notifications (default true), so in-process caches stay exact
   * while other nodes write (Store.changes). The cluster's lease pool does not need one.
   */
  listen?: boolean;
  logger?: StoreLogger;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The Store's SQL uses `?`; PostgreSQL wants `$1, $2, …`. Our SQL never has `?` inside literals or operators. */
const numbered = new Map<string, string>();
function toNumbered(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    numbered.set(sql, out);
  }
  return out;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

function connOf(client: Queryable, open: () => boolean = () => true): SqlConn {
  const query = (sql: string, params: readonly unknown[]) => {
    if (!open()) throw new TransactionClosedError();
    return client.query(toNumbered(sql), params as unknown[]).catch((err: unknown) => {
      throw asUnavailable(err);
    });
  };
  return {
    all: async <R>(sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rows as R[],
    run: async (sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rowCount ?? 0,
    exec: async (sql: string) => {
      if (!open()) throw new TransactionClosedError();
      await client.query(sql).catch((err: unknown) => {
        throw asUnavailable(err);
      });
    },
  };
}

/**
 * PostgreSQL through a pg Pool. Calls outside a transaction take any pooled connection; a transaction keeps one client
 * from BEGIN to COMMIT. Several nodes share the database, so cross-node exclusion is done by PostgreSQL itself:
 * row locks (quota), advisory locks (migrations, outbox ordering).
 */
export class PostgresDriver implements SqlDriver {
  readonly kind = 'postgres' as const;
  readonly forUpdate = ' FOR UPDATE';
  readonly skipLocked = ' FOR UPDATE SKIP LOCKED';
  readonly conn: SqlConn;
  readonly schema: string | null;
  /** The change notifications other connections commit (docs/multi-node.md "Change feed"); null when not listening. */
  readonly listener: PgChangeListener | null;
  readonly #pool: pg.Pool;

  constructor(opts: PostgresOptions) {
    if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) {
      throw new Error(`invalid PostgreSQL schema name: ${JSON.stringify(opts.schema)}`);
    }
    this.schema = opts.schema ?? null;
    const settings: string[] = [];
    if (this.schema) settings.push(`-c search_path=${this.schema}`);
    if (opts.idleInTransactionTimeoutMs) {
      settings.push(`-c idle_in_transaction_session_timeout=${Math.round(opts.idleInTransactionTimeoutMs)}`);
    }
    this.#pool = new pg.Pool({
      connectionString: withDefaultUser(opts.url),
      max: opts.maxConnections ?? 10,
      ...(opts.queryTimeoutMs ? { query_timeout: opts.queryTimeoutMs, keepAlive: true } : {}),
      ...(opts.connectTimeoutMs ? { connectionTimeoutMillis: opts.connectTimeoutMs } : {}),
      // Set at connection start, so every pooled connection works in the schema before its first query.
      ...(settings.length > 0 ? { options: settings.join(' ') } : {}),
    });
    // An idle client losing its server connection emits here; without a listener that would crash the process.
    this.#pool.on('error', (err) => opts.logger?.error({ err }, 'idle PostgreSQL connection failed'));
    this.conn = connOf(this.#pool);
    this.listener =
      opts.listen === false ? null : new PgChangeListener({ url: opts.url, schema: opts.schema, logger: opts.logger });
    // Until it listens, externalVersion() is null (nothing cached); a failed first attempt is retried by the listener.
    this.listener?.start().catch(() => undefined);
  }

  async transaction<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect().catch((err: unknown) => {
      throw asUnavailable(err);
    });
    let active = true;
    let broken: Error | undefined;
    // The server may end the session mid-transaction (idle_in_transaction_session_timeout, a restart): pg reports it
    // as an 'error' event on the checked-out client, which would crash the process without a listener. The next
    // statement then fails, the transaction rejects, and the client is destroyed below.
    const onError = (err: Error): void => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(connOf(client, () => active));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        // The connection is unusable (e.g. the server went away): destroy it rather than return it to the pool.
        broken = rollbackErr as Error;
      }
      throw asUnavailable(err);
    } finally {
      active = false;
      client.off('error', onError);
      client.release(broken);
    }
  }

  async lockForMigration(conn: SqlConn): Promise<void> {
    // Transaction-scoped, so it is released by COMMIT/ROLLBACK even if this process dies. Keyed by schema, so
    // unrelated schemas (parallel test runs) do not wait for each other.
    await conn.all('SELECT pg_advisory_xact_lock(hashtext(?))', [`switchboard:migrate:${this.schema ?? ''}`]);
    if (this.schema) await conn.exec(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
  }

  async lockForEventAppend(conn: SqlConn): Promise<void> {
    // Held until the appending transaction ends: event-writing transactions commit one after another, so their
    // BIGSERIAL seqs become visible in increasing order and "seq > last seen" never skips a late committer.
    // Cost: event appends are serialized cluster-wide for the (short) rest of their transaction.
    await conn.all('SELECT pg_advisory_xact_lock(hashtext(?))', [`switchboard:events:${this.schema ?? ''}`]);
  }

  /**
   * Other nodes, the CLI and hand-written SQL commit without this process seeing it; the triggers of migration 4 announce
   * those commits on the change channel. While the listener hears them, caches may be kept (a new number after every
   * reconnect: whatever was cached before may have missed a notification); while it does not, null: no caching.
   */
  externalVersion(): number | null {
    return this.listener?.version() ?? null;
  }

  subscribeExternal(listener: (change: StoreChange) => void): () => void {
    if (!this.listener) return () => undefined;
    return this.listener.subscribe((notice) => {
      // Lease notices are the cluster's (its own listener wakes the claim scan); the rest are the store's changes.
      if (notice.kind !== 'lease') listener(notice);
    });
  }

  async close(): Promise<void> {
    await this.listener?.close();
    await this.#pool.end();
  }
}

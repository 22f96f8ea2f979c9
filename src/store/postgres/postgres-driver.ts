import { userInfo } from 'node:os';
import pg from 'pg';
import type { StoreLogger } from '../store-logger.ts';
import { TransactionClosedError, type SqlConn, type SqlDriver } from '../sql/sql-driver.ts';

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

/**
 * libpq takes the operating-system user when the URL names none; node-postgres only reads $PGUSER / $USER, which are
 * unset in some containers and CI runners. Fill the gap the way libpq does so `postgres://host/db` means the same to both.
 */
export function withDefaultUser(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || process.env.PGUSER || process.env.USER || !parsed.hostname) return url;
    parsed.username = encodeURIComponent(userInfo().username);
    return parsed.toString();
  } catch {
    return url;
  }
}

type Queryable = Pick<pg.PoolClient, 'query'>;

function connOf(client: Queryable, open: () => boolean = () => true): SqlConn {
  const query = (sql: string, params: readonly unknown[]) => {
    if (!open()) throw new TransactionClosedError();
    return client.query(toNumbered(sql), params as unknown[]);
  };
  return {
    all: async <R>(sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rows as R[],
    run: async (sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rowCount ?? 0,
    exec: async (sql: string) => {
      if (!open()) throw new TransactionClosedError();
      await client.query(sql);
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
  }

  async transaction<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let active = true;
    let broken: Error | undefined;
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
      throw err;
    } finally {
      active = false;
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
   * Other nodes write without telling this one (no LISTEN/NOTIFY yet), so in-process caches of tokens and
   * instances are off on PostgreSQL: every request reads the database, as revocation "at once" requires.
   */
  externalVersion(): null {
    return null;
  }

  close(): Promise<void> {
    return this.#pool.end();
  }
}

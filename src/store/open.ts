import type { StoreLogger } from './store-logger.ts';
import { createPostgresStore, isPostgresUrl } from './postgres/index.ts';
import { createSqliteStore } from './sqlite/index.ts';
import type { Store } from './store.ts';

export interface OpenStoreOptions {
  /** SQLite lives here as switchboard.db (created if missing). */
  dataDir: string;
  /** `postgres://` or `postgresql://` selects PostgreSQL; anything else (or nothing) means SQLite. */
  databaseUrl?: string | null;
  logger?: StoreLogger;
  /** PostgreSQL only: work in this schema (tests isolate themselves in a throwaway one). */
  schema?: string;
}

/** The store the server and the CLI use, migrated and ready. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  if (opts.databaseUrl && !isPostgresUrl(opts.databaseUrl)) {
    // Most likely a typo; say so rather than quietly keeping data somewhere the operator does not expect.
    opts.logger?.warn({ dataDir: opts.dataDir }, 'DATABASE_URL is not a postgres:// URL; using SQLite in the data dir');
  }
  const store = isPostgresUrl(opts.databaseUrl)
    ? createPostgresStore({ url: opts.databaseUrl.trim(), schema: opts.schema, logger: opts.logger })
    : createSqliteStore({ dataDir: opts.dataDir, logger: opts.logger });
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}

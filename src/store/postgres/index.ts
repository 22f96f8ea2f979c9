import { SqlStore } from '../sql/sql-store.ts';
import type { Store } from '../store.ts';
import { PostgresDriver, type PostgresOptions } from './postgres-driver.ts';

export type { PostgresOptions } from './postgres-driver.ts';

/** The shared store for one or many nodes. Call migrate() before use (safe on several nodes at once). */
export function createPostgresStore(opts: PostgresOptions): Store {
  return new SqlStore(new PostgresDriver(opts), { logger: opts.logger });
}

export const isPostgresUrl = (url: string | null | undefined): url is string =>
  typeof url === 'string' && /^postgres(ql)?:\/\//i.test(url.trim());

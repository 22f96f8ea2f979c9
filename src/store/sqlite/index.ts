import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StoreLogger } from '../store-logger.ts';
import { SqlStore } from '../sql/sql-store.ts';
import type { Store } from '../store.ts';
import { SqliteDriver } from './sqlite-driver.ts';

export const SQLITE_FILE_NAME = 'switchboard.db';

/** The embedded store: `<dataDir>/switchboard.db` (the directory is created). Call migrate() before use. */
export function createSqliteStore(opts: { dataDir: string; logger?: StoreLogger }): Store {
  return createSqliteStoreAt(join(opts.dataDir, SQLITE_FILE_NAME), opts.logger);
}

/** Same, at an explicit file path (tests, tools). */
export function createSqliteStoreAt(file: string, logger?: StoreLogger): Store {
  mkdirSync(dirname(file), { recursive: true });
  return new SqlStore(new SqliteDriver(file), { logger });
}

import { dirname, join } from 'node:path';
import { ensurePrivateDir, precreatePrivateFile } from '../file-modes.ts';
import type { StoreLogger } from '../store-logger.ts';
import { SqlStore } from '../sql/sql-store.ts';
import type { Store } from '../store.ts';
import { SqliteDriver } from './sqlite-driver.ts';

export const SQLITE_FILE_NAME = 'switchboard.db';

/**
 * The embedded store: `<dataDir>/switchboard.db`. A missing directory is created 0700 and a missing database file 0600
 * (its -wal and -shm follow), for the server and the CLI alike (file-modes.ts). Call migrate() before use.
 */
export function createSqliteStore(opts: { dataDir: string; logger?: StoreLogger }): Store {
  return createSqliteStoreAt(join(opts.dataDir, SQLITE_FILE_NAME), opts.logger);
}

/** Same, at an explicit file path (tests, tools). */
export function createSqliteStoreAt(file: string, logger?: StoreLogger): Store {
  ensurePrivateDir(dirname(file));
  precreatePrivateFile(file);
  return new SqlStore(new SqliteDriver(file), { logger });
}

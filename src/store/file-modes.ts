import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Data at rest belongs to the service's user alone: the data directory is 0700, the files in it that hold secrets or
 * tenants' data are 0600. `switchboard.db` (+ `-wal`, `-shm`) holds message texts, phone numbers and identities;
 * `master.key` decrypts every WhatsApp credential; `admin-token` is the first start's admin token.
 *
 * What we create we create private (the server and the offline CLI open the store through the same code). What
 * already exists is not changed behind the operator's back: `looseDataModes` lists it and the server warns at start.
 * POSIX only: on Windows modes do not apply and nothing is reported.
 */

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** The files of a data directory that must stay private (SQLite's -wal/-shm get the database file's mode). */
export const PRIVATE_FILES = [
  'switchboard.db',
  'switchboard.db-wal',
  'switchboard.db-shm',
  'master.key',
  'admin-token',
] as const;

const applies = process.platform !== 'win32';

/** Creates the directory (and missing parents) as 0700; an existing one is left as it is. */
export function ensurePrivateDir(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (applies) chmodSync(dir, PRIVATE_DIR_MODE); // mkdir's mode is subject to umask
}

/**
 * Creates an empty file as 0600 unless it exists, so a library that opens it next (SQLite) finds it private; SQLite
 * then gives its -wal and -shm files the same mode.
 */
export function precreatePrivateFile(file: string): void {
  if (existsSync(file)) return;
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  if (applies) chmodSync(file, PRIVATE_FILE_MODE);
}

export interface LooseMode {
  path: string;
  /** Octal, e.g. "755". */
  mode: string;
  wanted: string;
}

/** The data directory and private files that others can read or write (group/other bits set). */
export function looseDataModes(dataDir: string): LooseMode[] {
  if (!applies) return [];
  const out: LooseMode[] = [];
  const check = (path: string, wanted: number): void => {
    let mode: number;
    try {
      mode = statSync(path).mode & 0o777;
    } catch {
      return; // absent: nothing to protect
    }
    if (mode & 0o077) out.push({ path, mode: mode.toString(8), wanted: wanted.toString(8) });
  };
  check(dataDir, PRIVATE_DIR_MODE);
  for (const name of PRIVATE_FILES) check(join(dataDir, name), PRIVATE_FILE_MODE);
  return out;
}

import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from './file-modes.ts';

export const MASTER_KEY_ENV = 'SWITCHBOARD_MASTER_KEY';
export const MASTER_KEY_FILE = 'master.key';
const KEY_BYTES = 32;

/** Strict base64 (standard or URL-safe alphabet, padding optional) of exactly 32 bytes; null if it is anything else. */
export function parseMasterKey(text: string): Buffer | null {
  const compact = text.trim().replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/_-]+$/.test(compact)) return null;
  const key = Buffer.from(compact.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  // Buffer.from(…, 'base64') silently drops what it cannot decode; a round trip proves every character was meaningful.
  const canonical = key.toString('base64').replace(/=+$/, '');
  return key.length === KEY_BYTES && canonical === compact.replace(/-/g, '+').replace(/_/g, '/') ? key : null;
}

/**
 * The key that encrypts WhatsApp credentials at rest (README.md "Configuration"): SWITCHBOARD_MASTER_KEY if set, else `<dataDir>/master.key`,
 * generated on first start (mode 0600) and reused ever after. Losing it means every linked device must scan a QR again,
 * so it is never overwritten.
 *
 * `envValue`: the variable's value; omitted → read from process.env, null → ignore the environment.
 */
export function loadMasterKey(opts: { dataDir: string; envValue?: string | null }): Buffer {
  const envValue = opts.envValue === undefined ? process.env[MASTER_KEY_ENV] : opts.envValue;
  if (envValue !== null && envValue !== undefined && envValue !== '') {
    const key = parseMasterKey(envValue);
    if (!key)
      throw new Error(`${MASTER_KEY_ENV} must be 32 bytes encoded as base64 (e.g. \`openssl rand -base64 32\`)`);
    return key;
  }
  const file = join(opts.dataDir, MASTER_KEY_FILE);
  return readKeyFile(file) ?? createKeyFile(opts.dataDir, file);
}

function readKeyFile(file: string): Buffer | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read ${file} (the ${MASTER_KEY_ENV} file): ${(err as Error).message}`);
  }
  const key = parseMasterKey(text);
  if (!key) throw new Error(`${file} is not a valid ${MASTER_KEY_ENV} (32 bytes, base64); restore it from a backup`);
  return key;
}

/**
 * Writes a fresh key to a temporary file (0600, fsynced) and hard-links it into place: the link fails if the file
 * appeared meanwhile (another process starting at the same moment), and then that process's key is the one used.
 * Unlike rename, a link never replaces an existing key.
 */
function createKeyFile(dataDir: string, file: string): Buffer {
  ensurePrivateDir(dataDir);
  const key = randomBytes(KEY_BYTES);
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${key.toString('base64')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(temp, 0o600); // the mode given to open() is subject to umask; make sure of it
    linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const theirs = readKeyFile(file);
    if (!theirs) throw err;
    return theirs;
  } finally {
    unlinkSync(temp);
  }
  syncDir(dataDir);
  return key;
}

/** Make the new directory entry durable too (best effort: not every platform can fsync a directory). */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // ignore
  }
}

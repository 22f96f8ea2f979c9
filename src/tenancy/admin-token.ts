import { chmodSync, closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../store/index.ts';
import type { SettingsStore } from '../store/index.ts';
import { generateToken, hashToken, MAX_TOKEN_LENGTH, tokenMatchesHash } from './tokens.ts';

/** Settings key holding the SHA-256 hash of the admin token (never the token itself). */
export const ADMIN_TOKEN_SETTING = 'admin_token_hash';

/**
 * Makes sure an admin token exists. SWITCHBOARD_ADMIN_TOKEN wins (its hash replaces the stored one, so rotating the
 * variable rotates the token); otherwise the first start generates one and returns it so the caller can show it once.
 * Later starts return null: the plaintext is gone, only the hash is kept.
 */
export async function bootstrapAdminToken(
  store: SettingsStore,
  configured: string | null,
): Promise<{ generated: string | null }> {
  if (configured !== null) {
    await store.setSetting(ADMIN_TOKEN_SETTING, hashToken(configured));
    return { generated: null };
  }
  if ((await store.getSetting(ADMIN_TOKEN_SETTING)) !== null) return { generated: null };
  const token = generateToken('sbadm');
  await store.setSetting(ADMIN_TOKEN_SETTING, hashToken(token));
  return { generated: token };
}

/** Constant-time check of a presented admin token against the stored hash. */
export async function isAdminToken(store: SettingsStore, presented: string): Promise<boolean> {
  if (presented.length === 0 || presented.length > MAX_TOKEN_LENGTH) return false;
  const storedHash = await store.getSetting(ADMIN_TOKEN_SETTING);
  return storedHash !== null && tokenMatchesHash(presented, storedHash);
}

/** Where the first start leaves the generated admin token for the operator: `<dataDir>/admin-token`, mode 0600. */
export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * Writes a generated admin token to `<dataDir>/admin-token` (0600, replacing a stale one from an earlier database)
 * and returns the path. A file readable only by the service's user, not a line among the JSON logs that log shippers
 * collect: the token is shown on stdout only when stdout is a terminal (main.ts).
 */
export function writeAdminTokenFile(dataDir: string, token: string): string {
  ensurePrivateDir(dataDir);
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  const fd = openSync(file, 'w', PRIVATE_FILE_MODE);
  try {
    if (process.platform !== 'win32') chmodSync(file, PRIVATE_FILE_MODE); // open's mode is subject to umask and ignored for an existing file
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
  return file;
}

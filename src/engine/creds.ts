import { createHash, randomBytes } from 'node:crypto';
import type { AuthKeyValue } from '../domain/index.ts';

/**
 * The two engine answers that need no WhatsApp library, so a threaded engine answers them on the main thread without
 * loading `baileys` there (the Baileys adapter uses the same functions).
 */

/** Where the adapter keeps Baileys' credentials in the AuthKeyValue. */
export const CREDS_TYPE = 'creds';
export const CREDS_ID = 'creds';

/** The part of Baileys' AuthenticationCreds the linked test reads. */
export interface LinkMarkers {
  me?: { id?: string } | null;
  account?: unknown;
}

/**
 * A completed pairing. `creds.account` (the signed device identity) is set by pair-success in both the QR and the
 * code flow; `creds.me` alone is not enough, because requestPairingCode sets a provisional `me` (name "~") long
 * before — and whether or not — pairing succeeds (docs/whatsapp-protocol.md §13.1, §13.6). `registered` is only set by the code
 * flow, so it cannot be the marker either.
 */
export function isLinkedCreds(creds: LinkMarkers | null | undefined): boolean {
  return Boolean(creds?.me?.id && creds.account);
}

/** isLinkedCreds of the stored creds. Plain JSON.parse is enough: the markers are not Buffers. */
export async function hasLinkedCreds(auth: AuthKeyValue): Promise<boolean> {
  const raw = (await auth.get(CREDS_TYPE, [CREDS_ID]))[CREDS_ID];
  return raw !== undefined && isLinkedCreds(JSON.parse(raw) as LinkMarkers);
}

/**
 * A fresh WhatsApp message id, as Baileys' generateMessageIDV2() without a user id makes it: "3EB0" and 18 upper-case
 * hex digits of SHA-256(unix seconds as 8 bytes ‖ 20 zero bytes ‖ 16 random bytes). Kept here so the main thread
 * of a threaded engine chooses ids synchronously without Baileys (test/engine/creds.test.ts compares the two).
 */
export function newMessageId(): string {
  const data = Buffer.alloc(8 + 20 + 16);
  data.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000)));
  randomBytes(16).copy(data, 28);
  return '3EB0' + createHash('sha256').update(data).digest('hex').toUpperCase().substring(0, 18);
}

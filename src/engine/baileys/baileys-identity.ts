import type { AuthenticationCreds } from 'baileys';
import type { EngineIdentity } from '../engine.ts';
import { isLinkedCreds } from './auth-state.ts';

/**
 * Identity from the LIVE credentials. Never from `sock.user`: every Baileys layer spreads the socket object,
 * which freezes `user` at construction (docs/whatsapp-protocol.md §7), so it misses names that arrive later.
 */

const BUSINESS_PLATFORMS = new Set(['smba', 'smbi']);

/** "201012345678:1@s.whatsapp.net" → "201012345678". */
export function phoneFromJid(jid: string): string {
  const user = jid.split('@')[0] ?? '';
  return (user.split(':')[0] ?? '').replace(/\D/g, '');
}

/** "123456789012345:1@lid" → "123456789012345@lid"; anything empty → null. */
export function lidWithoutDevice(lid: string | null | undefined): string | null {
  if (!lid) return null;
  const [user, server] = lid.split('@');
  const bare = (user ?? '').split(':')[0];
  if (!bare) return null;
  return `${bare}@${server || 'lid'}`;
}

/** "~" is the placeholder requestPairingCode writes into me.name (13.1); it is not a name. */
export function cleanName(name: string | null | undefined): string | null {
  if (typeof name !== 'string') return null;
  const trimmed = name.trim();
  return trimmed === '' || trimmed === '~' ? null : trimmed;
}

export function identityFromCreds(creds: AuthenticationCreds | null | undefined): EngineIdentity | null {
  if (!creds || !isLinkedCreds(creds)) return null;
  const me = creds.me!;
  const platform = typeof creds.platform === 'string' && creds.platform ? creds.platform : null;
  const name = cleanName(me.name);
  return {
    deviceJid: me.id,
    phone: phoneFromJid(me.id),
    lid: lidWithoutDevice(me.lid),
    pushName: name,
    businessName: platform !== null && BUSINESS_PLATFORMS.has(platform) ? name : null,
    platform,
  };
}

export function sameIdentity(a: EngineIdentity | null, b: EngineIdentity | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.deviceJid === b.deviceJid &&
    a.phone === b.phone &&
    a.lid === b.lid &&
    a.pushName === b.pushName &&
    a.businessName === b.businessName &&
    a.platform === b.platform
  );
}

/** Digits only, with the country code; `+`, spaces, dashes, dots and parentheses are tolerated and removed. */
export function normalizePhone(phone: string): string {
  const digits = String(phone).replace(/[\s+\-().]/g, '');
  if (!/^\d{6,15}$/.test(digits))
    throw new RangeError(`phone must be 6-15 digits with the country code, got "${phone}"`);
  return digits;
}

/** Baileys returns the 8-character link code bare; users see it as "ABCD-1234". */
export function formatPairingCode(code: string): string {
  const bare = code.replace(/-/g, '').toUpperCase();
  if (bare.length !== 8) throw new Error(`unexpected pairing code length ${bare.length}`);
  return `${bare.slice(0, 4)}-${bare.slice(4)}`;
}

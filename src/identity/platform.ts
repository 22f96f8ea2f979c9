import type { IdentityRecord } from '../domain/index.ts';

/**
 * Identity vocabulary shared by /v2/session/info, /me, /v2/account/*: the public platform names and the
 * `@c.us` form of a phone JID that Wawp answers with.
 */

export const PLATFORMS = ['android', 'ios', 'web', 'unknown'] as const;
export type Platform = (typeof PLATFORMS)[number];

const WEB_LIKE = new Set([
  'web',
  'windows',
  'macos',
  'mac',
  'darwin',
  'desktop',
  'linux',
  'chrome',
  'firefox',
  'safari',
  'edge',
  'opera',
]);

/** Raw platform as WhatsApp reports it → android | ios | web | unknown (smba/smbi are the business apps). */
export function normalizePlatform(raw: string | null | undefined): Platform {
  const p = (raw ?? '').trim().toLowerCase();
  if (p === 'android' || p === 'smba') return 'android';
  if (p === 'iphone' || p === 'ios' || p === 'smbi' || p === 'ipad') return 'ios';
  if (WEB_LIKE.has(p) || p.startsWith('web')) return 'web';
  return 'unknown';
}

/** "201012345678:3@s.whatsapp.net" → "201012345678@c.us" (device suffix dropped). */
export function toCUsJid(jid: string): string {
  const at = jid.indexOf('@');
  const user = (at === -1 ? jid : jid.slice(0, at)).split(':')[0];
  return `${user}@c.us`;
}

/** The `me` summary of /v2/session/info and the instance list. */
export function meSummary(identity: IdentityRecord | null): { id: string; pushName: string | null } | null {
  if (!identity) return null;
  return { id: toCUsJid(identity.phoneJid), pushName: identity.pushName ?? identity.businessName ?? null };
}

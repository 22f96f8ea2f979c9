/**
 * `chatId` of POST /v2/send/text (docs/http-api.md "Wawp routes"): a phone number as digits (`+` and spaces removed), or its `@c.us` /
 * `@s.whatsapp.net` JID. Only 1:1 chats with a phone number: groups, LIDs and anything else are refused, rather than
 * guessed at, so a typo never reaches a stranger.
 */

export interface ChatAddress {
  /** Wawp/WAHA form, "<digits>@c.us" (what the API answers with). */
  chatId: string;
  /** WhatsApp form, "<digits>@s.whatsapp.net" (what the engine sends to). */
  jid: string;
  digits: string;
}

const DIGITS = /^\d{6,15}$/;

export function parseChatId(raw: string): ChatAddress | null {
  const trimmed = raw.replace(/[\s+]/g, '');
  const at = trimmed.indexOf('@');
  const user = at === -1 ? trimmed : trimmed.slice(0, at);
  const server = at === -1 ? null : trimmed.slice(at + 1).toLowerCase();
  if (server !== null && server !== 'c.us' && server !== 's.whatsapp.net') return null;
  if (!DIGITS.test(user)) return null;
  return { chatId: `${user}@c.us`, jid: `${user}@s.whatsapp.net`, digits: user };
}

/** "<digits>@s.whatsapp.net" (or with a device) → "<digits>@c.us", for event payloads. */
export function toCus(jid: string): string {
  const user = (jid.split('@')[0] ?? '').split(':')[0] ?? '';
  return `${user}@c.us`;
}

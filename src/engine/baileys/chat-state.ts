import type { WAMessageKey, WASocket } from 'baileys';
import type { EngineTyping } from '../engine.ts';
import { isPhoneJid } from './messages.ts';

/**
 * Typing indicators and read receipts (Wawp's start-typing / stop-typing / seen). Typing is a `<chatstate>` stanza
 * (`composing` / `paused`) to the contact; "seen" is a `<receipt type="read">` for messages the contact sent us,
 * which WhatsApp forwards to the sender's devices (its blue ticks).
 *
 * A receipt must name the message as it arrived (the chat may be addressed by the contact's LID), so the inbound
 * keys are remembered per chat until read. "Mark the chat as seen" without message ids (Wawp's seen with only
 * chatId) reads the remembered unread messages of that chat.
 */

/** Unread inbound messages kept per chat; older ones are dropped first (a receipt for them is no longer useful). */
const MAX_UNREAD_PER_CHAT = 256;
const MAX_CHATS = 4096;

export class UnreadInbound {
  /** Chat (phone JID) → message id → key as received. Insertion-ordered, so the oldest go first. */
  readonly #byChat = new Map<string, Map<string, WAMessageKey>>();

  remember(chat: string, key: WAMessageKey): void {
    if (!key.id) return;
    let ids = this.#byChat.get(chat);
    if (!ids) {
      if (this.#byChat.size >= MAX_CHATS) this.#byChat.delete(this.#byChat.keys().next().value!);
      ids = new Map();
      this.#byChat.set(chat, ids);
    }
    ids.set(key.id, key);
    if (ids.size > MAX_UNREAD_PER_CHAT) ids.delete(ids.keys().next().value!);
  }

  /** The keys to read: the given ids (as received when known), or every remembered unread message of the chat. */
  keysFor(chat: string, ids: readonly string[] | null): WAMessageKey[] {
    const known = this.#byChat.get(chat);
    if (ids === null) return [...(known?.values() ?? [])];
    return ids.map((id) => known?.get(id) ?? { remoteJid: chat, id, fromMe: false });
  }

  forget(chat: string, keys: readonly WAMessageKey[]): void {
    const known = this.#byChat.get(chat);
    if (!known) return;
    for (const key of keys) if (key.id) known.delete(key.id);
    if (known.size === 0) this.#byChat.delete(chat);
  }
}

function assertPhoneJid(jid: string): void {
  if (!isPhoneJid(jid)) throw new RangeError(`needs "<digits>@s.whatsapp.net", got "${jid}"`);
}

export async function sendTyping(sock: WASocket, to: string, state: EngineTyping): Promise<void> {
  assertPhoneJid(to);
  await sock.sendPresenceUpdate(state, to);
}

/** Sends read receipts; returns the ids it marked (empty when there was nothing unread). */
export async function markRead(
  sock: WASocket,
  unread: UnreadInbound,
  chat: string,
  ids: readonly string[] | null,
): Promise<string[]> {
  assertPhoneJid(chat);
  const keys = unread.keysFor(chat, ids);
  if (keys.length === 0) return [];
  await sock.readMessages(keys);
  unread.forget(chat, keys);
  return keys.map((k) => k.id!);
}

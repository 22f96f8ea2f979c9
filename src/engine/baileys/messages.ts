import {
  isJidBroadcast,
  isJidGroup,
  isJidNewsletter,
  isLidUser,
  isPnUser,
  jidNormalizedUser,
  normalizeMessageContent,
  proto,
  toNumber,
  type AnyMessageContent,
  type WAMessage,
  type WAMessageKey,
  type WAMessageUpdate,
  type WASocket,
} from 'baileys';
import type { EngineAck, EngineAckLevel, EngineMessage, EngineTextMessage } from '../engine.ts';

/**
 * Baileys' message events → our EngineMessage / EngineAck, and our text → Baileys' message content. Pure functions
 * except for the LID → phone lookup, which the caller passes in: WhatsApp may address a 1:1 chat by the contact's LID
 * (docs/whatsapp-protocol.md), while everything above the engine speaks phone JIDs.
 */

/** LID JID → phone JID, or null if unknown (Baileys' own LID mapping store). */
export type PnLookup = (lid: string) => Promise<string | null>;

const Status = proto.WebMessageInfo.Status;

/** Baileys' status → WhatsApp's ack level; PENDING/ERROR are not acknowledgements. */
const ACK_BY_STATUS: ReadonlyMap<number, EngineAckLevel> = new Map([
  [Status.SERVER_ACK, 1],
  [Status.DELIVERY_ACK, 2],
  [Status.READ, 3],
  [Status.PLAYED, 3],
]);

/** Only 1:1 chats with people: no groups, broadcasts (status@broadcast included), newsletters. */
function isPersonalChat(jid: string | null | undefined): jid is string {
  return (
    !!jid &&
    !isJidGroup(jid) &&
    !isJidBroadcast(jid) &&
    !isJidNewsletter(jid) &&
    (isPnUser(jid) || isLidUser(jid)) === true
  );
}

/** The chat's phone JID without device: the key's own JID when it is one, else its alternate, else a LID lookup. */
export async function chatPhoneJid(key: WAMessageKey, lookup: PnLookup): Promise<string | null> {
  for (const jid of [key.remoteJid, key.remoteJidAlt]) {
    if (jid && isPnUser(jid)) return jidNormalizedUser(jid);
  }
  const lid = [key.remoteJid, key.remoteJidAlt].find((j) => j && isLidUser(j));
  if (!lid) return null;
  const pn = await lookup(jidNormalizedUser(lid)).catch(() => null);
  return pn && isPnUser(pn) ? jidNormalizedUser(pn) : null;
}

/** The text of a message and the id it quotes; null for anything that is not plain text (media, protocol, …). */
export function textOf(message: proto.IMessage | null | undefined): { body: string; replyTo: string | null } | null {
  const content = normalizeMessageContent(message);
  if (!content || content.protocolMessage) return null;
  if (typeof content.conversation === 'string' && content.conversation !== '') {
    return { body: content.conversation, replyTo: null };
  }
  const ext = content.extendedTextMessage;
  if (ext && typeof ext.text === 'string') return { body: ext.text, replyTo: ext.contextInfo?.stanzaId || null };
  return null;
}

/**
 * An upserted message → EngineMessage, or null when it is not a contact's text to us: our own messages (sent here or
 * from the phone), peer/protocol messages between our own devices, groups, broadcasts and status updates.
 */
export async function toEngineMessage(
  msg: WAMessage,
  myPhoneJid: string,
  lookup: PnLookup,
): Promise<EngineMessage | null> {
  const key = msg.key;
  if (!key?.id || key.fromMe || msg.category === 'peer') return null;
  if (!isPersonalChat(key.remoteJid)) return null;
  const text = textOf(msg.message);
  if (!text) return null;
  const from = await chatPhoneJid(key, lookup);
  if (!from || from === myPhoneJid) return null;
  return {
    id: key.id,
    timestamp: toNumber(msg.messageTimestamp) || Math.floor(Date.now() / 1000),
    from,
    to: myPhoneJid,
    body: text.body,
    fromMe: false,
    pushName: msg.pushName || null,
    replyTo: text.replyTo,
  };
}

/** A status update of one of OUR messages in a 1:1 chat → EngineAck; null for anything else. */
export async function toEngineAck(
  update: WAMessageUpdate,
  myPhoneJid: string,
  lookup: PnLookup,
): Promise<EngineAck | null> {
  const { key } = update;
  const status = update.update?.status;
  if (!key?.id || !key.fromMe || typeof status !== 'number') return null;
  const ack = ACK_BY_STATUS.get(status);
  if (ack === undefined || !isPersonalChat(key.remoteJid)) return null;
  const to = await chatPhoneJid(key, lookup);
  if (!to || to === myPhoneJid) return null;
  return { id: key.id, from: myPhoneJid, to, ack };
}

/** Our text → Baileys' content; a reply quotes by id only (we keep no copy of the quoted message). */
export function textContent(message: Pick<EngineTextMessage, 'text' | 'replyTo'>): AnyMessageContent {
  if (!message.replyTo) return { text: message.text };
  return { text: message.text, contextInfo: { stanzaId: message.replyTo } };
}

/** "<digits>@s.whatsapp.net" (no device), the only address sendText takes. */
export function isPhoneJid(jid: string): boolean {
  return /^\d{6,15}@s\.whatsapp\.net$/.test(jid);
}

export interface MessageEventSinks {
  /** Our phone JID right now, or null before the identity is known. */
  me(): string | null;
  /** False once this socket is no longer the session's current one (its late events are dropped). */
  isCurrent(): boolean;
  /** An inbound text, with the key it arrived under (read receipts must name it). */
  message(message: EngineMessage, key: WAMessageKey): void;
  ack(ack: EngineAck): void;
  error(err: unknown): void;
}

/**
 * Subscribes to one socket's message events. Conversions may wait on the LID store, so they run one after another
 * through a chain: events leave in the order Baileys emitted them.
 */
export function wireMessageEvents(ev: WASocket['ev'], lookup: PnLookup, sinks: MessageEventSinks): void {
  let chain: Promise<void> = Promise.resolve();
  const later = (fn: (me: string) => Promise<void>): void => {
    chain = chain
      .then(async () => {
        const me = sinks.me();
        if (me && sinks.isCurrent()) await fn(me);
      })
      .catch((err: unknown) => sinks.error(err));
  };
  // 'notify' is new traffic. 'append' is what the server kept for us while we were offline (stanzas marked
  // `offline`: messages-recv.js handleMessage), our own sends echoed back, or placeholder resends. A contact's text
  // delivered offline is as new to the app as a live one; our own echoes are dropped by toEngineMessage (fromMe).
  ev.on('messages.upsert', ({ messages, type }) => {
    if (type !== 'notify' && type !== 'append') return;
    later(async (me) => {
      for (const msg of messages) {
        const message = await toEngineMessage(msg, me, lookup);
        if (message && sinks.isCurrent()) sinks.message(message, msg.key);
      }
    });
  });
  ev.on('messages.update', (updates) => {
    later(async (me) => {
      for (const update of updates) {
        const ack = await toEngineAck(update, me, lookup);
        if (ack && sinks.isCurrent()) sinks.ack(ack);
      }
    });
  });
}

/**
 * What a simulated number observes from accounts' companions besides texts: typing state, online/offline presence
 * and read receipts (for the engine's typing/seen work). Stanzas as Baileys' companion sends them:
 * - `sendPresenceUpdate('composing'|'paused'|'recording', jid)` → `<chatstate from to><composing/>|<paused/></chatstate>`
 *   (chats.js sendPresenceUpdate; recording is `<composing media="audio"/>`);
 * - `sendPresenceUpdate('available'|'unavailable')` → `<presence name type>`, with no addressee: the server fans it out,
 *   here to the numbers the account has a chat with (texted either way, or sent a chat state or receipt to);
 * - `readMessages(keys)` → `<receipt to id type="read" t><list><item id/>…</list></receipt>` (messages-send.js
 *   sendReceipt; `read-self` is what a user who hides read receipts sends, and nobody else sees it).
 * Entries are kept in the store, oldest first.
 */
import { getBinaryNodeChild, getBinaryNodeChildren, jidDecode, type BinaryNode } from 'baileys';
import type { Connection } from './connection.ts';
import { unix } from './keys.ts';
import { normalizePhone } from './phone-number.ts';
import type { Phone } from './phone-types.ts';
import type { SimState } from './state.ts';
import type { ActivityEntry } from './types.ts';

function account(state: SimState, conn: Connection): Phone | undefined {
  return state.phones.ofConnection(conn)?.phone;
}

/** The number a JID (PN or LID, any device) belongs to. */
function numberOf(state: SimState, jid: string | undefined): string | undefined {
  const d = jid ? jidDecode(jid) : undefined;
  return d ? state.directory.resolve(d.user, d.server)?.number : undefined;
}

function record(state: SimState, to: string, entry: ActivityEntry): void {
  state.store.addActivity(to, entry);
}

export function onChatstate(state: SimState, conn: Connection, node: BinaryNode): void {
  const phone = account(state, conn);
  const to = numberOf(state, node.attrs.to);
  const child = Array.isArray(node.content) ? node.content[0] : undefined;
  if (!phone || !to || to === phone.phone || (child?.tag !== 'composing' && child?.tag !== 'paused')) return;
  state.phones.addContact(phone, to);
  record(state, to, { kind: 'presence', from: phone.phone, state: child.tag, timestamp: unix() });
}

export function onPresence(state: SimState, conn: Connection, node: BinaryNode): void {
  const type = node.attrs.type;
  const phone = account(state, conn);
  // The attribute-less <presence/> and the name-only one Baileys sends on creds updates carry no state.
  if (!phone || (type !== 'available' && type !== 'unavailable')) return;
  const timestamp = unix();
  for (const to of phone.contacts) record(state, to, { kind: 'presence', from: phone.phone, state: type, timestamp });
}

/** A read receipt for messages from `to` (ids: the `id` attribute plus the `<list>` items). */
export function onReceipt(state: SimState, conn: Connection, node: BinaryNode): void {
  if (node.attrs.type !== 'read') return;
  const phone = account(state, conn);
  const to = numberOf(state, node.attrs.to);
  if (!phone || !to || to === phone.phone) return;
  const ids = [
    node.attrs.id,
    ...getBinaryNodeChildren(getBinaryNodeChild(node, 'list'), 'item').map((i) => i.attrs.id),
  ].filter(Boolean);
  state.phones.addContact(phone, to);
  record(state, to, {
    kind: 'receipt',
    from: phone.phone,
    type: 'read',
    message_ids: ids,
    timestamp: Number(node.attrs.t) || unix(),
  });
}

export function activity(state: SimState, number: string): ActivityEntry[] {
  return state.store.activity<ActivityEntry>(normalizePhone(number));
}

/**
 * One-to-one texts with real Signal encryption both ways (protocol doc 14.3, 14.4).
 * - Contact → account: the contact's party encrypts to every companion of the account (pkmsg until the companion
 *   replies, then msg); offline companions get the stanza on their next login, marked `offline`.
 * - Companion → contact: each `<to>` is decrypted by the party it is addressed to (the contact, and the account's own
 *   phone for the DeviceSentMessage copy); the contact keeps the text, and answers with delivery and read receipts.
 */
import { getBinaryNodeChild, getBinaryNodeChildren, jidDecode, proto, type BinaryNode } from 'baileys';
import { accountName, keyShareMessage, peerMessage } from './app-state.ts';
import type { Connection } from './connection.ts';
import { SimError } from './errors.ts';
import { encryptForCompanion, newMessageId, unix } from './keys.ts';
import { normalizePhone } from './phone-number.ts';
import { askAgain, bundleFromRetry, decrypted, MAX_RETRIES, retryCount } from './retry.ts';
import type { PreKeyBundle } from './signal-party.ts';
import type { Device, Phone, QueuedText } from './phone-types.ts';
import type { SimState } from './state.ts';
import type { SendTextInput } from './types.ts';

/**
 * When the simulated contact's phone confirms delivery, and then reading (its user reads at once). Not sooner:
 * Baileys emits its own `messages.upsert` for a sent message ~45 ms after sendMessage returns, and a receipt that
 * arrives before that is folded into the upsert instead of being reported as a `messages.update` (protocol doc 14.4).
 */
const DELIVERY_RECEIPT_MS = 150;
const READ_RECEIPT_MS = 300;
const MAX_TEXT = 65_536;

const flushing = new WeakSet<Device>();
/** Texts a companion asked for again: its nack (`<ack error>`, sent right after the retry receipt) is not a delivery. */
const askedAgain = new WeakSet<QueuedText>();

/**
 * The stanza for a queued contact text, encrypted now with the contact's session of this moment (null: no keys);
 * a new session starts from `bundle` when given (a retry receipt's keys).
 */
async function textStanza(
  state: SimState,
  device: Device,
  item: QueuedText,
  bundle?: PreKeyBundle,
): Promise<BinaryNode | null> {
  const sender = state.directory.getOrCreate(item.from);
  const enc = await encryptForCompanion(state, sender, device, { conversation: item.text }, bundle);
  if (!enc) return null;
  // PN-addressed with sender_lid, so the client maps PN→LID and keeps the session under the LID (14.3).
  return {
    tag: 'message',
    attrs: {
      from: `${item.from}@s.whatsapp.net`,
      id: item.id,
      t: String(item.timestamp),
      type: 'text',
      notify: item.notify,
      sender_lid: `${sender.lidUser}@lid`,
    },
    content: [enc],
  };
}

/** Sends (in order) what is queued for the companion on `conn`; `offline` marks stanzas as offline delivery. Returns how many. */
export async function flushQueue(state: SimState, conn: Connection, device: Device, offline: boolean): Promise<number> {
  if (flushing.has(device) || !device.keys) return 0;
  flushing.add(device);
  let n = 0;
  try {
    while (device.queue.length && device.conn === conn && !conn.closed) {
      const item = device.queue.shift()!;
      const node = await textStanza(state, device, item);
      if (!node) {
        state.phones.delivered(item); // no keys to encrypt with: it can never be delivered
        continue;
      }
      if (offline) node.attrs.offline = '1';
      // Kept (and stored) until the companion receipts or acks it: a connection that dies first gets it again.
      device.inflight.set(item.id, item);
      conn.send(node);
      n++;
    }
  } finally {
    flushing.delete(device);
  }
  return n;
}

/** A `<receipt>` or `<ack>` from a companion: the texts it names have arrived and leave the store. */
export function onDelivered(state: SimState, conn: Connection, node: BinaryNode): void {
  const device = state.phones.ofConnection(conn)?.device;
  if (!device?.inflight.size) return;
  const items = getBinaryNodeChildren(getBinaryNodeChild(node, 'list'), 'item');
  for (const id of [node.attrs.id, ...items.map((i) => i.attrs.id)]) {
    const item = id ? device.inflight.get(id) : undefined;
    if (!item || (node.attrs.error && askedAgain.has(item))) continue;
    device.inflight.delete(id);
    state.phones.delivered(item);
  }
}

/**
 * A companion could not decrypt a contact's text and asks again (`<receipt type="retry">`, retry.ts): the contact
 * drops its session and sends the text again in a new one, started from the receipt's keys when it has them, else
 * from one of the companion's uploaded pre-keys. After MAX_RETRIES asks the text is given up.
 */
export async function onRetryReceipt(state: SimState, conn: Connection, node: BinaryNode): Promise<void> {
  const device = state.phones.ofConnection(conn)?.device;
  const item = device?.inflight.get(node.attrs.id);
  if (!device || !item) return; // not a text the simulator sent, or already settled
  const count = retryCount(node);
  if (count > MAX_RETRIES) {
    device.inflight.delete(item.id);
    state.phones.delivered(item);
    conn.log.warn({ id: item.id, count }, 'text given up after retries');
    return;
  }
  askedAgain.add(item);
  await state.directory.party(state.directory.getOrCreate(item.from)).dropSession(device.jid);
  const stanza = await textStanza(state, device, item, bundleFromRetry(node));
  if (stanza && device.conn === conn && !conn.closed) conn.send(stanza);
}

/** The companion's connection ended: what it never receipted goes back to the front of its queue, oldest first. */
export function requeueInflight(device: Device): void {
  if (!device.inflight.size) return;
  device.queue.unshift(...[...device.inflight.values()].sort((a, b) => a.seq - b.seq));
  device.inflight.clear();
}

/** Queues (durably, in order) and delivers now when the companion is connected and nothing is queued before it. */
async function deliver(state: SimState, device: Device, item: Omit<QueuedText, 'seq'>): Promise<void> {
  state.phones.enqueue(device, item);
  const conn = device.conn;
  if (conn && !conn.closed && device.queue.length === 1 && !flushing.has(device))
    await flushQueue(state, conn, device, false);
}

/** A simulated contact (any number) texts a simulated account: one encrypted stanza per linked companion. */
export async function sendText(state: SimState, input: SendTextInput): Promise<{ id: string; timestamp: number }> {
  const from = normalizePhone(input.from);
  const to = normalizePhone(input.to);
  if (typeof input.text !== 'string' || !input.text.length || input.text.length > MAX_TEXT) {
    throw new SimError('invalid_text', `text must be 1-${MAX_TEXT} characters`);
  }
  if (from === to) throw new SimError('invalid_phone', 'a number cannot text itself here');
  const account = state.phones.get(to);
  if (!account) throw new SimError('unknown_account', `${to} is not a simulated account (link a device to it first)`);
  const sender = state.directory.getOrCreate(from);
  const senderPhone = state.phones.get(from);
  if (input.name !== undefined) {
    if (senderPhone) {
      senderPhone.pushName = input.name;
      state.phones.save(senderPhone);
    } else state.directory.setContactName(sender, input.name);
  }
  state.phones.addContact(account, from);
  const notify = (senderPhone ? accountName(senderPhone) : sender.contactName) ?? `Contact ${from.slice(-4)}`;
  const id = newMessageId();
  const timestamp = unix();
  const deliveries = [...account.devices.values()].map((device) =>
    deliver(state, device, { kind: 'text', from, id, timestamp, text: input.text, notify }),
  );
  await Promise.all(deliveries);
  return { id, timestamp };
}

/** `<message>` from a companion: ack it, decrypt each copy on the receiving party's side, and let the contact answer. */
export async function onClientMessage(state: SimState, conn: Connection, node: BinaryNode): Promise<void> {
  const to = node.attrs.to ?? '';
  conn.send({ tag: 'ack', attrs: { id: node.attrs.id, class: 'message', from: to, t: String(unix()) } });
  const found = state.phones.ofConnection(conn);
  if (!found) return;
  const { phone, device } = found;
  const chat = jidDecode(to);
  const chatPerson = chat && state.directory.resolve(chat.user, chat.server);
  const participants = getBinaryNodeChild(node, 'participants');
  // 1:1 sends list each device under <participants>; peer messages (category=peer) carry a bare <enc> for `to`.
  const targets = participants
    ? getBinaryNodeChildren(participants, 'to').map((t) => ({ jid: t.attrs.jid, enc: getBinaryNodeChild(t, 'enc') }))
    : [{ jid: to, enc: getBinaryNodeChild(node, 'enc') }];
  let delivered = false;
  for (const { jid, enc } of targets) {
    const d = jidDecode(jid);
    const person = d && state.directory.resolve(d.user, d.server);
    const type = enc?.attrs.type;
    if (!person || !(enc?.content instanceof Uint8Array) || (type !== 'pkmsg' && type !== 'msg')) {
      conn.log.info({ jid, type }, 'message copy not handled');
      continue;
    }
    if (d.device) {
      // Copies for other companions (this account's or another's) are not forwarded (README: simplified).
      conn.log.debug({ jid }, 'copy for a companion device not forwarded');
      continue;
    }
    let msg: proto.Message;
    try {
      msg = await state.directory.party(person).decrypt(device.jid, type, enc.content);
    } catch (err) {
      // A contact's phone asks the sender again (retry.ts); the account's own phone just drops the copy.
      const ask =
        person === phone.person ? null : await askAgain(state.directory.party(person), person.number, device, node);
      conn.log.warn({ err, jid, retry: ask ? retryCount(ask) : null }, 'message copy did not decrypt');
      if (ask) conn.send(ask);
      continue;
    }
    const resent = decrypted(device, node.attrs.id);
    if (person === phone.person) {
      await onOwnPhoneCopy(state, conn, phone, device, msg);
      continue;
    }
    if (person === chatPerson) {
      delivered = true;
      state.phones.addContact(phone, person.number);
      const text = msg.conversation || msg.extendedTextMessage?.text;
      // Kept once: a resend the contact asked for is looked up (only then) among what it already has.
      const again = resent && person.received.some((m) => m.id === node.attrs.id && m.from === phone.phone);
      if (text != null && !again)
        state.directory.addReceived(person, {
          id: node.attrs.id,
          from: phone.phone,
          text,
          timestamp: Number(node.attrs.t) || unix(),
        });
    }
  }
  if (delivered && chatPerson) {
    const receipt = (type?: string) => () => {
      const attrs: Record<string, string> = { from: to, id: node.attrs.id, t: String(unix()) };
      if (type) attrs.type = type;
      conn.send({ tag: 'receipt', attrs });
    };
    setTimeout(receipt(), DELIVERY_RECEIPT_MS).unref();
    setTimeout(receipt('read'), READ_RECEIPT_MS).unref();
  }
}

/** The phone's copy: a DeviceSentMessage needs nothing; a key request from the companion is answered with the key. */
async function onOwnPhoneCopy(
  state: SimState,
  conn: Connection,
  phone: Phone,
  device: Device,
  msg: proto.Message,
): Promise<void> {
  if (msg.protocolMessage?.type === proto.Message.ProtocolMessage.Type.APP_STATE_SYNC_KEY_REQUEST) {
    const reply = await peerMessage(state, phone, device, keyShareMessage(state.phones, phone));
    if (reply) conn.send(reply);
  }
}

/** What the contact decrypted from accounts' companions. */
export function receivedMessages(
  state: SimState,
  number: string,
): Array<{ id: string; from: string; text: string; timestamp: number }> {
  return (state.directory.get(normalizePhone(number))?.received ?? []).map((m) => ({ ...m }));
}

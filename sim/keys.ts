/**
 * The server's key directory (protocol doc 14.2, 14.4): companions upload their pre-keys, clients ask usync who has
 * which devices and LIDs, and fetch pre-key bundles to start Signal sessions. Also the one place where the
 * simulator itself encrypts to a companion (as its phone, or as a contact), using up one of its uploaded pre-keys.
 */
import { randomBytes } from 'node:crypto';
import {
  encodeBigEndian,
  getBinaryNodeChild,
  getBinaryNodeChildren,
  jidDecode,
  type BinaryNode,
  type proto,
} from 'baileys';
import type { Person } from './directory.ts';
import type { CompanionKeys, Device, Phone } from './phone-types.ts';
import type { PreKeyBundle } from './signal-party.ts';
import type { SimState } from './state.ts';

export const unix = () => Math.floor(Date.now() / 1000);
/** Message ids as WhatsApp Web makes them (3EB0 + hex). */
export const newMessageId = () => `3EB0${randomBytes(9).toString('hex').toUpperCase()}`;

/** Child content as bytes. Short digit strings are nibble-packed by the codec and decode as JS strings. */
function bytes(node: BinaryNode | undefined, tag: string): Buffer | undefined {
  const c = node && getBinaryNodeChild(node, tag)?.content;
  if (c instanceof Uint8Array) return Buffer.from(c);
  if (typeof c === 'string') return Buffer.from(c, 'latin1');
  return undefined;
}
const uint = (b: Buffer | undefined) => (b && b.length ? b.readUIntBE(0, Math.min(b.length, 6)) : undefined);

/** `iq xmlns=encrypt type=set`: `<registration><type><identity><list><key>…</list><skey>` (Utils/signal.js getNextPreKeysNode). */
export function storeUpload(state: SimState, device: Device, iq: BinaryNode): number {
  const registrationId = uint(bytes(iq, 'registration'));
  const identity = bytes(iq, 'identity');
  const skey = getBinaryNodeChild(iq, 'skey');
  const skeyId = uint(bytes(skey, 'id'));
  const skeyPub = bytes(skey, 'value');
  const skeySig = bytes(skey, 'signature');
  if (
    registrationId === undefined ||
    identity?.length !== 32 ||
    skeyId === undefined ||
    skeyPub?.length !== 32 ||
    skeySig?.length !== 64
  ) {
    throw new Error('malformed pre-key upload');
  }
  const kept = !!device.keys && device.keys.identity.equals(identity);
  const preKeys = kept ? device.keys!.preKeys : new Map<number, Buffer>();
  const added: Array<[number, Buffer]> = [];
  for (const k of getBinaryNodeChildren(getBinaryNodeChild(iq, 'list'), 'key')) {
    const id = uint(bytes(k, 'id'));
    const pub = bytes(k, 'value');
    if (id !== undefined && pub?.length === 32) {
      preKeys.set(id, pub);
      added.push([id, pub]);
    }
  }
  device.keys = { registrationId, identity, signedPreKey: { id: skeyId, pub: skeyPub, sig: skeySig }, preKeys };
  state.phones.saveUpload(device, added, !kept);
  return preKeys.size;
}

/** A companion's bundle, handing out (and removing) its lowest one-time pre-key; null before its first upload. */
export function companionBundle(state: SimState, device: Device): PreKeyBundle | null {
  const k: CompanionKeys | null = device.keys;
  if (!k) return null;
  const first = k.preKeys.keys().next();
  let preKey: PreKeyBundle['preKey'];
  if (!first.done) {
    preKey = { id: first.value, pub: k.preKeys.get(first.value)! };
    state.phones.consumePreKey(device, first.value);
  }
  return { registrationId: k.registrationId, identity: k.identity, signedPreKey: k.signedPreKey, preKey };
}

/**
 * Encrypts `message` from `party` (a phone or a contact) to one companion: the `<enc>` node, or null if impossible.
 * A new session starts from `bundle` when given (the keys of a retry receipt), else from one of the uploaded pre-keys.
 */
export async function encryptForCompanion(
  state: SimState,
  from: Person,
  device: Device,
  message: proto.IMessage,
  bundle?: PreKeyBundle,
): Promise<BinaryNode | null> {
  const enc = await state.directory
    .party(from)
    .encrypt(device.jid, message, () => bundle ?? companionBundle(state, device));
  return enc && { tag: 'enc', attrs: { v: '2', type: enc.type }, content: enc.ciphertext };
}

/** A bundle's keys as the wire carries them, in a key fetch's `<user>` and in a retry receipt's `<keys>`. */
export function bundleKeyNodes(b: PreKeyBundle): BinaryNode[] {
  const content: BinaryNode[] = [
    { tag: 'type', attrs: {}, content: Buffer.from([5]) },
    { tag: 'identity', attrs: {}, content: b.identity },
    {
      tag: 'skey',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: encodeBigEndian(b.signedPreKey.id, 3) },
        { tag: 'value', attrs: {}, content: b.signedPreKey.pub },
        { tag: 'signature', attrs: {}, content: b.signedPreKey.sig },
      ],
    },
  ];
  if (b.preKey) {
    content.push({
      tag: 'key',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: encodeBigEndian(b.preKey.id, 3) },
        { tag: 'value', attrs: {}, content: b.preKey.pub },
      ],
    });
  }
  return content;
}

function bundleNode(jid: string, b: PreKeyBundle): BinaryNode {
  const registration = { tag: 'registration', attrs: {}, content: encodeBigEndian(b.registrationId, 4) };
  return { tag: 'user', attrs: { jid }, content: [registration, ...bundleKeyNodes(b)] };
}

/** The linked devices other clients may encrypt to: only those that uploaded keys can be given out. */
function companions(phone: Phone | undefined): Device[] {
  return phone ? [...phone.devices.values()].filter((d) => d.keys).sort((a, b) => a.id - b.id) : [];
}

/**
 * `<key><user jid reason/>…</key>` → `<list><user jid>bundle</user>…</list>`. Device 0 is the number's own party
 * (phone or contact); other devices are companions. Unknown devices are left out: an `<error>` child in any user
 * would make the client throw for the whole list.
 */
export async function keyFetch(state: SimState, iq: BinaryNode): Promise<BinaryNode> {
  const users = getBinaryNodeChildren(getBinaryNodeChild(iq, 'key'), 'user');
  const list: BinaryNode[] = [];
  for (const u of users) {
    const jid = u.attrs.jid;
    const d = jidDecode(jid);
    const person = d && state.directory.resolve(d.user, d.server);
    if (!person) continue;
    if (!d.device) {
      list.push(bundleNode(jid, await state.directory.party(person).takeBundle()));
    } else {
      const device = state.phones.get(person.number)?.devices.get(d.device);
      const b = device && companionBundle(state, device);
      if (b) list.push(bundleNode(jid, b));
    }
  }
  return { tag: 'list', attrs: {}, content: list };
}

/**
 * usync (protocol doc 14.4): every number exists. Devices are device 0 plus the account's companions (with
 * key-index, or the client drops them); LIDs are always given, since the client only fetches keys by LID.
 */
export function usyncResult(state: SimState, usync: BinaryNode): BinaryNode {
  const query = getBinaryNodeChild(usync, 'query');
  const protocols = Array.isArray(query?.content) ? query.content.map((c) => c.tag) : [];
  const users = getBinaryNodeChildren(getBinaryNodeChild(usync, 'list'), 'user');
  const list = users.map((u): BinaryNode => {
    const jid = u.attrs.jid ?? '';
    const d = jidDecode(jid);
    const person = d && state.directory.resolve(d.user, d.server);
    const content: BinaryNode[] = [];
    for (const p of protocols) {
      if (p === 'devices' && person) {
        const devices: BinaryNode[] = [{ tag: 'device', attrs: { id: '0' } }];
        for (const c of companions(state.phones.get(person.number)))
          devices.push({ tag: 'device', attrs: { id: String(c.id), 'key-index': String(c.keyIndex) } });
        content.push({ tag: 'devices', attrs: {}, content: [{ tag: 'device-list', attrs: {}, content: devices }] });
      } else if (p === 'lid' && person && d.server !== 'lid')
        content.push({ tag: 'lid', attrs: { val: `${person.lidUser}@lid` } });
      else if (p === 'contact') content.push({ tag: 'contact', attrs: { type: 'in' } });
    }
    return { tag: 'user', attrs: { jid }, content };
  });
  return {
    tag: 'usync',
    attrs: { ...usync.attrs },
    content: [
      { tag: 'result', attrs: {}, content: protocols.map((p) => ({ tag: p, attrs: {} })) },
      { tag: 'list', attrs: {}, content: list },
    ],
  };
}

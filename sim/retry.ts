/**
 * Retry receipts (protocol doc 14.9): a device that cannot decrypt a message answers `<receipt type="retry">`, and
 * the sender sends it again in a new session. It happens when both sides start a session at once (a contact texts the
 * account while the account texts it first): each holds a session the other replaced, and the next `msg` matches
 * nothing. The real network heals this way, so the simulator does too, in both directions:
 * - a simulated contact that cannot decrypt a companion's copy asks for it again, handing out a fresh bundle
 *   (`<keys>`), as a phone does, which Baileys' `sendMessagesAgain` injects before it relays the message again;
 * - a companion that cannot decrypt a contact's text asks the contact (messaging.ts sends the text again).
 */
import { encodeBigEndian, extractE2ESessionFromRetryReceipt, getBinaryNodeChild, type BinaryNode } from 'baileys';
import { bundleKeyNodes, unix } from './keys.ts';
import type { Device } from './phone-types.ts';
import type { PreKeyBundle, SignalParty } from './signal-party.ts';

/** Baileys' own default (`maxMsgRetryCount`): after this many asks the message is given up. */
export const MAX_RETRIES = 5;

/** How many times each contact asked each companion again, by message id; forgotten on success or give-up. */
const asked = new WeakMap<Device, Map<string, number>>();

/** The `count` of a retry receipt (1 for the first ask). */
export function retryCount(receipt: BinaryNode): number {
  return Math.max(1, Number(getBinaryNodeChild(receipt, 'retry')?.attrs.count) || 1);
}

/** The bundle a retry receipt carries (Baileys adds `<keys>` from its second ask on), in the wire's 32-byte keys. */
export function bundleFromRetry(receipt: BinaryNode): PreKeyBundle | undefined {
  const s = extractE2ESessionFromRetryReceipt(receipt);
  if (!s) return undefined;
  const wire = (k: Uint8Array) => Buffer.from(k.length === 33 ? k.subarray(1) : k);
  return {
    registrationId: s.registrationId,
    identity: wire(s.identityKey),
    signedPreKey: {
      id: s.signedPreKey.keyId,
      pub: wire(s.signedPreKey.publicKey),
      sig: Buffer.from(s.signedPreKey.signature),
    },
    preKey: s.preKey && { id: s.preKey.keyId, pub: wire(s.preKey.publicKey) },
  };
}

/**
 * The receipt a contact (`party`, number `from`) sends when it could not decrypt message `id` from `device`, or null
 * once it has asked MAX_RETRIES times. It carries a fresh one-time pre-key, so the resend starts a session that works.
 */
export async function askAgain(
  party: SignalParty,
  from: string,
  device: Device,
  message: BinaryNode,
): Promise<BinaryNode | null> {
  const id = message.attrs.id;
  let counts = asked.get(device);
  if (!counts) asked.set(device, (counts = new Map()));
  const count = (counts.get(id) ?? 0) + 1;
  if (count > MAX_RETRIES) {
    counts.delete(id);
    return null;
  }
  counts.set(id, count);
  const bundle = await party.takeBundle();
  return {
    tag: 'receipt',
    attrs: { from: `${from}@s.whatsapp.net`, id, type: 'retry', t: String(unix()) },
    content: [
      { tag: 'retry', attrs: { count: String(count), id, t: message.attrs.t ?? String(unix()), v: '1' } },
      { tag: 'registration', attrs: {}, content: encodeBigEndian(bundle.registrationId, 4) },
      { tag: 'keys', attrs: {}, content: bundleKeyNodes(bundle) },
    ],
  };
}

/** The contact decrypted message `id` from `device`: no more asks are pending for it. True when it had asked (a resend). */
export function decrypted(device: Device, id: string): boolean {
  return asked.get(device)?.delete(id) ?? false;
}

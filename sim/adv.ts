/**
 * pair-success: the phone vouches for the new companion (protocol doc section 5).
 * Both QR pairing and pairing by code end here; they differ only in where the adv secret comes from.
 */
import {
  Curve,
  hmacSign,
  proto,
  WA_ADV_ACCOUNT_SIG_PREFIX,
  WA_ADV_DEVICE_SIG_PREFIX,
  getBinaryNodeChild,
  type BinaryNode,
} from 'baileys';
import { verifySignature } from './certs.ts';
import { BUSINESS_PLATFORMS } from './phone-number.ts';
import type { Device, Phone } from './phone-types.ts';
import { SimError } from './errors.ts';
import type { Registration, SimState } from './state.ts';
import type { PairInput } from './types.ts';

export interface PairResult {
  jid: string;
  lid: string;
}

const unix = () => String(Math.floor(Date.now() / 1000));

/** Builds `ADVSignedDeviceIdentityHMAC` bytes: account-signed device identity, HMAC'd with the adv secret. */
export function buildDeviceIdentity(
  phone: Phone,
  device: Device,
  advSecret: Buffer,
  forgeSignature = false,
): { hmacd: Uint8Array; deviceDetails: Uint8Array } {
  const deviceDetails = proto.ADVDeviceIdentity.encode({
    rawId: phone.rawId,
    timestamp: Math.floor(Date.now() / 1000),
    // keyIndex must be present: the client calls keyIndex.toString() and a missing value kills the socket.
    keyIndex: device.keyIndex,
    accountType: proto.ADVEncryptionType.E2EE,
    deviceType: proto.ADVEncryptionType.E2EE,
  }).finish();
  const accountSignature = Curve.sign(
    phone.accountKey.private,
    Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, deviceDetails, device.identityPub]),
  );
  // Fault: a well-formed signature over the right message that does not verify (one bit flipped). The HMAC below is
  // computed over the forged bytes, so it is correct: only a real signature check can tell.
  if (forgeSignature) accountSignature[10] ^= 0x01;
  const details = proto.ADVSignedDeviceIdentity.encode({
    details: deviceDetails,
    accountSignatureKey: phone.accountKey.public,
    accountSignature,
  }).finish();
  const hmac = hmacSign(Buffer.from(details), advSecret);
  const hmacd = proto.ADVSignedDeviceIdentityHMAC.encode({
    details,
    hmac,
    accountType: proto.ADVEncryptionType.E2EE,
  }).finish();
  return { hmacd, deviceDetails };
}

/**
 * Links a new device for `input.phone` on registration `reg`, sends pair-success, and in the background waits for
 * pair-device-sign and then sends 515 (restart required). If the client never accepts (bad HMAC, socket gone)
 * the device is forgotten again.
 */
export function completePairing(state: SimState, reg: Registration, input: PairInput, advSecret: Buffer): PairResult {
  const conn = reg.conn;
  if (conn.closed || reg.paired) throw new SimError('qr_unknown', 'the companion is no longer waiting to be paired');
  const phone = state.phones.getOrCreate(input.phone);
  if (input.pushName !== undefined) phone.pushName = input.pushName;
  const platform = input.platform || 'android';
  // Business apps report the business name; for smba/smbi it defaults to the push name.
  const businessName = input.businessName ?? (BUSINESS_PLATFORMS.has(platform) ? phone.pushName : null);
  if (businessName) phone.businessName = businessName;
  const device = state.phones.addDevice(phone, {
    platform,
    businessName,
    noisePub: reg.noisePub,
    identityPub: reg.identityPub,
  });
  reg.paired = true;
  state.forgetRegistration(reg);

  const { hmacd, deviceDetails } = buildDeviceIdentity(phone, device, advSecret, state.faults.forgeAccountSignature);
  const children: BinaryNode[] = [
    { tag: 'device-identity', attrs: {}, content: hmacd },
    { tag: 'device', attrs: { jid: device.jid, lid: device.lid } },
    { tag: 'platform', attrs: { name: platform } },
  ];
  if (businessName) children.push({ tag: 'biz', attrs: { name: businessName } });
  const iq: BinaryNode = {
    tag: 'iq',
    attrs: { from: 's.whatsapp.net', type: 'set', id: conn.newId('pair'), t: unix() },
    content: [{ tag: 'pair-success', attrs: {}, content: children }],
  };
  conn.log.info({ jid: device.jid }, 'pair-success sent');
  void conn.query(iq, 15_000).then((res) => {
    const sign = res && getBinaryNodeChild(getBinaryNodeChild(res, 'pair-device-sign'), 'device-identity');
    if (!sign || !(sign.content instanceof Uint8Array)) {
      conn.log.warn({ jid: device.jid }, 'companion did not accept pair-success; forgetting device');
      if (phone.devices.get(device.id) === device) state.phones.removeDevice(phone, device.id);
      return;
    }
    const signed = proto.ADVSignedDeviceIdentity.decode(sign.content);
    const ok =
      !!signed.deviceSignature &&
      verifySignature(
        device.identityPub,
        Buffer.concat([WA_ADV_DEVICE_SIG_PREFIX, deviceDetails, device.identityPub, phone.accountKey.public]),
        signed.deviceSignature,
      );
    if (!ok) conn.log.warn({ jid: device.jid }, 'pair-device-sign carries an invalid device signature');
    // The client never reconnects on its own: 515 tells the app to make a new socket, which then logs in.
    conn.streamError({ code: '515' });
  });
  return { jid: device.jid, lid: device.lid };
}

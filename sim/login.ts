/**
 * What happens after the Noise handshake (protocol doc sections 4, 6, 7): registration vs login, `<success>`,
 * and the one-off push-name shortcut for personal accounts.
 */
import { randomBytes } from 'node:crypto';
import { proto, type BinaryNode } from 'baileys';
import type { Connection } from './connection.ts';
import { startRegistration } from './qr-pairing.ts';
import type { SimState } from './state.ts';

const unix = () => String(Math.floor(Date.now() / 1000));

export async function onClientPayload(state: SimState, conn: Connection, payload: proto.ClientPayload): Promise<void> {
  // A registration payload carries devicePairingData; a login carries username + device.
  if (payload.devicePairingData) {
    startRegistration(state, conn, payload);
    return;
  }
  const phone = payload.username != null ? String(payload.username) : '';
  const deviceId = payload.device ?? 0;
  const found = phone ? state.phones.findDevice(phone, deviceId) : undefined;
  // Authentication is the noise key: only the companion that paired holds the private half of the stored key.
  if (!found || !conn.clientStatic || !found.device.noisePub.equals(conn.clientStatic)) {
    conn.log.info({ phone, deviceId, known: !!found }, 'login refused (unknown device or noise key mismatch)');
    conn.failure('401');
    return;
  }
  const { phone: p, device } = found;
  // One connection per device: a newer login replaces the older one, as on the real service (440 for the old socket).
  const previous = device.conn;
  if (previous && previous !== conn && !previous.closed) {
    previous.streamError({}, { tag: 'conflict', attrs: { type: 'replaced' } });
  }
  device.conn = conn;
  conn.kind = 'login';
  conn.phone = p.phone;
  conn.deviceId = device.id;
  const t = unix();
  conn.send({
    tag: 'success',
    attrs: { t, lid: device.lid, props: '0', abprops: '0', location: 'sim', creation: t },
  });
  // Without this the client keeps its event buffer closed and never reports receivedPendingNotifications.
  conn.send({ tag: 'ib', attrs: { from: 's.whatsapp.net' }, content: [{ tag: 'offline', attrs: { count: '0' } }] });
  conn.log.info({ jid: device.jid }, 'logged in');
}

/**
 * Personal accounts get no name from pair-success. The faithful path is app-state sync (setting_pushName), a later
 * stage; until then a self-addressed `<message notify=…><plaintext>` makes Baileys adopt the name (protocol doc §7).
 * Sent once per device, after the login queries, so it never races pairing.
 */
export function maybeDeliverPushName(state: SimState, conn: Connection): void {
  if (!conn.phone || conn.deviceId == null) return;
  const found = state.phones.findDevice(conn.phone, conn.deviceId);
  if (!found) return;
  const { phone, device } = found;
  if (device.pushNameDelivered || device.businessName || !phone.pushName) return;
  device.pushNameDelivered = true;
  const self = `${phone.phone}@s.whatsapp.net`;
  // A protocol message type that Baileys does not act on, so the only visible effect is the name.
  const msg = proto.Message.encode({
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.INITIAL_SECURITY_NOTIFICATION_SETTING_SYNC,
      initialSecurityNotificationSettingSync: { securityNotificationEnabled: false },
    },
  }).finish();
  const node: BinaryNode = {
    tag: 'message',
    attrs: {
      from: self,
      recipient: self,
      id: `3EB0${randomBytes(8).toString('hex').toUpperCase()}`,
      t: unix(),
      type: 'text',
      notify: phone.pushName,
    },
    content: [{ tag: 'plaintext', attrs: {}, content: msg }],
  };
  conn.send(node);
}

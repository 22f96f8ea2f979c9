/**
 * What happens after the Noise handshake (protocol doc sections 4, 6): registration vs login, `<success>`, and the
 * offline batch (stanzas that waited for this companion, then `<ib><offline count>`).
 */
import type { proto } from 'baileys';
import { refreshPatches, serverSyncNode } from './app-state.ts';
import type { Connection } from './connection.ts';
import { flushQueue, requeueInflight } from './messaging.ts';
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
    conn.log.warn({ phone, deviceId }, 'login replaced an open connection');
    previous.streamError({}, { tag: 'conflict', attrs: { type: 'replaced' } });
  }
  device.conn = conn;
  // What the previous connection never receipted is sent again on this one, before anything newer.
  requeueInflight(device);
  conn.kind = 'login';
  conn.phone = p.phone;
  conn.deviceId = device.id;
  const t = unix();
  conn.send({
    tag: 'success',
    attrs: { t, lid: device.lid, props: '0', abprops: '0', location: 'sim', creation: t },
  });
  // What arrived while it was offline: queued texts, and a resync hint if the account's app state moved on (rename).
  let count = await flushQueue(state, conn, device, true);
  if (device.bootstrapped) {
    const version = await refreshPatches(state.phones, p);
    if (device.syncedVersion < version) {
      conn.send(serverSyncNode(version, true));
      count++;
    }
  }
  // Without this the client keeps its event buffer closed and never reports receivedPendingNotifications.
  conn.send({
    tag: 'ib',
    attrs: { from: 's.whatsapp.net' },
    content: [{ tag: 'offline', attrs: { count: String(count) } }],
  });
  conn.log.info({ jid: device.jid }, 'logged in');
}

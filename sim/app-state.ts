/**
 * App-state sync, the faithful way a linked device learns the account's push name (protocol doc 14.5, 14.6):
 * the phone shares its app-state key over Signal, sends an INITIAL_BOOTSTRAP history-sync notification (which also
 * ends Baileys' 20 s event buffering), and the server answers the client's `w:sync:app:state` IQ with critical_block
 * patches whose MACs and LT hash come from Baileys' own `encodeSyncdPatch`. A rename is a new patch plus a
 * `server_sync` notification.
 */
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { encodeSyncdPatch, getBinaryNodeChildren, newLTHashState, proto, type BinaryNode } from 'baileys';
import type { Connection } from './connection.ts';
import { encryptForCompanion, newMessageId, unix } from './keys.ts';
import { SimError } from './errors.ts';
import type { AppState, Device, Phone } from './phone-types.ts';
import { normalizePhone } from './phone-number.ts';
import type { PhoneBook } from './phones.ts';
import type { SimState } from './state.ts';

export const CRITICAL = 'critical_block';
/** The phone sends the bootstrap shortly after the login queries, when the companion's pre-keys are uploaded. */
const BOOTSTRAP_DELAY_MS = 50;

/** The account's app state, made (and stored) on first use: the key must survive a restart, companions hold it. */
function appState(phones: PhoneBook, phone: Phone): AppState {
  if (!phone.appState) {
    phone.appState = {
      keyId: randomBytes(6),
      keyData: randomBytes(32),
      timestamp: Date.now(),
      critical: newLTHashState(),
      patches: [],
      name: null,
      chain: Promise.resolve(),
    };
    phones.save(phone);
  }
  return phone.appState;
}

/** WhatsApp Business syncs its business name as the push name. */
export const accountName = (phone: Phone): string | null => phone.businessName ?? phone.pushName;

/** Brings critical_block up to date with the account's name (a SET on setting_pushName when it changed); returns its version. */
export function refreshPatches(phones: PhoneBook, phone: Phone): Promise<number> {
  const a = appState(phones, phone);
  const next = a.chain.then(async () => {
    const name = accountName(phone);
    if (name && name !== a.name) {
      const keyIdB64 = a.keyId.toString('base64');
      const { patch, state } = await encodeSyncdPatch(
        {
          type: CRITICAL,
          index: ['setting_pushName'],
          syncAction: { timestamp: Date.now(), pushNameSetting: { name } },
          apiVersion: 1,
          operation: proto.SyncdMutation.SyncdOperation.SET,
        },
        keyIdB64,
        a.critical,
        async (id) => (id === keyIdB64 ? { keyData: a.keyData } : null),
      );
      const encoded = proto.SyncdPatch.encode({ ...patch, version: { version: state.version } }).finish();
      a.patches.push(encoded);
      a.critical = state;
      a.name = name;
      phones.addPatch(phone, state.version, encoded);
    }
    return a.critical.version;
  });
  a.chain = next.catch(() => undefined);
  return next;
}

/** protocolMessage APP_STATE_SYNC_KEY_SHARE with the account's one app-state key. */
export function keyShareMessage(phones: PhoneBook, phone: Phone): proto.IMessage {
  const a = appState(phones, phone);
  return {
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.APP_STATE_SYNC_KEY_SHARE,
      appStateSyncKeyShare: {
        keys: [
          {
            keyId: { keyId: a.keyId },
            keyData: {
              keyData: a.keyData,
              fingerprint: { rawId: phone.rawId, currentIndex: 0, deviceIndexes: [0] },
              timestamp: a.timestamp,
            },
          },
        ],
      },
    },
  };
}

/** INITIAL_BOOTSTRAP with an inline payload, so the client needs no media download (history.js). */
function historyBootstrapMessage(): proto.IMessage {
  const payload = proto.HistorySync.encode({
    syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
    conversations: [],
    pushnames: [],
  }).finish();
  return {
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
      historySyncNotification: {
        syncType: proto.Message.HistorySyncType.INITIAL_BOOTSTRAP,
        chunkOrder: 1,
        progress: 100,
        initialHistBootstrapInlinePayload: deflateSync(payload),
      },
    },
  };
}

/** A Signal message from the account's own phone (device 0) to one of its companions. */
export async function peerMessage(
  state: SimState,
  phone: Phone,
  device: Device,
  message: proto.IMessage,
): Promise<BinaryNode | null> {
  const enc = await encryptForCompanion(state, phone.person, device, message);
  if (!enc) return null;
  // `from` is our own number with no `recipient`: the client marks it fromMe, which self-only protocol messages need.
  return {
    tag: 'message',
    attrs: {
      from: `${phone.phone}@s.whatsapp.net`,
      id: newMessageId(),
      t: String(unix()),
      type: 'text',
      category: 'peer',
    },
    content: [enc],
  };
}

/**
 * After the login queries (the `<digest>` answer), a companion that has not finished its app-state sync gets the
 * key share, then the history-sync notification. The key must come first: the notification starts the sync.
 */
export function scheduleBootstrap(
  state: SimState,
  conn: Connection,
  phone: Phone,
  device: Device,
  after: () => Promise<void>,
): void {
  if (device.bootstrapped || device.bootstrapConn === conn) {
    void after();
    return;
  }
  device.bootstrapConn = conn;
  const t = setTimeout(() => {
    void (async () => {
      if (conn.closed || device.conn !== conn) return;
      await refreshPatches(state.phones, phone);
      for (const msg of [keyShareMessage(state.phones, phone), historyBootstrapMessage()]) {
        const node = await peerMessage(state, phone, device, msg);
        if (!node) return void conn.log.warn({ jid: device.jid }, 'no pre-keys for the companion: bootstrap not sent');
        conn.send(node);
      }
      conn.log.info({ jid: device.jid }, 'app-state bootstrap sent');
      await after();
    })().catch((err) => conn.log.error({ err }, 'bootstrap failed'));
  }, BOOTSTRAP_DELAY_MS);
  t.unref();
}

/** Answers `<sync><collection name version return_snapshot/>…`: critical_block patches newer than asked, others empty. */
export async function answerSync(state: SimState, conn: Connection, iq: BinaryNode, sync: BinaryNode): Promise<void> {
  const found = state.phones.ofConnection(conn);
  const current = found ? await refreshPatches(state.phones, found.phone) : 0;
  const collections = getBinaryNodeChildren(sync, 'collection').map((c): BinaryNode => {
    const asked = Number(c.attrs.version ?? 0) || 0;
    if (c.attrs.name !== CRITICAL || !found)
      return { tag: 'collection', attrs: { name: c.attrs.name, version: String(asked) } };
    if (!found.device.bootstrapped || found.device.syncedVersion !== current) {
      found.device.bootstrapped = true;
      found.device.syncedVersion = current;
      state.phones.saveDevice(found.device);
    }
    // No snapshot: it would be a blob on the media CDN. Patches from v0 rebuild the same state.
    const patches = found.phone.appState!.patches.slice(asked);
    if (!patches.length)
      return { tag: 'collection', attrs: { name: CRITICAL, version: String(Math.max(asked, current)) } };
    return {
      tag: 'collection',
      attrs: { name: CRITICAL, version: String(current) },
      content: [{ tag: 'patches', attrs: {}, content: patches.map((p) => ({ tag: 'patch', attrs: {}, content: p })) }],
    };
  });
  conn.reply(iq, [{ tag: 'sync', attrs: {}, content: collections }]);
}

export function serverSyncNode(version: number, offline = false): BinaryNode {
  const attrs: Record<string, string> = {
    from: 's.whatsapp.net',
    type: 'server_sync',
    id: newMessageId(),
    t: String(unix()),
  };
  if (offline) attrs.offline = '1';
  return {
    tag: 'notification',
    attrs,
    content: [{ tag: 'collection', attrs: { name: CRITICAL, version: String(version) } }],
  };
}

/** After a rename: every connected, bootstrapped companion that is behind is told to resync critical_block. */
export async function notifyAppStateChange(phones: PhoneBook, phone: Phone): Promise<number> {
  const version = await refreshPatches(phones, phone);
  let n = 0;
  for (const d of phone.devices.values()) {
    if (!d.conn || d.conn.closed || !d.bootstrapped || d.syncedVersion >= version) continue;
    d.conn.send(serverSyncNode(version));
    n++;
  }
  return n;
}

/**
 * The user renames themselves on the phone: a new critical_block patch, and `server_sync` to every connected
 * companion (offline ones are told at their next login). For a number that is only a contact, just its name changes.
 */
export async function setPushName(state: SimState, phoneInput: string, name: string): Promise<{ notified: number }> {
  const number = normalizePhone(phoneInput);
  if (typeof name !== 'string' || !name.trim() || name.length > 256)
    throw new SimError('invalid_name', 'push_name must be a non-empty string');
  const phone = state.phones.get(number);
  if (!phone) {
    state.directory.setContactName(state.directory.getOrCreate(number), name);
    return { notified: 0 };
  }
  phone.pushName = name;
  // WhatsApp Business: the business name is what the account shows and syncs, so a rename changes it.
  if (phone.businessName) phone.businessName = name;
  state.phones.save(phone);
  return { notified: await notifyAppStateChange(state.phones, phone) };
}

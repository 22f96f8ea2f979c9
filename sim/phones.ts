/**
 * The simulated phones (primary devices) and the companion devices linked to them, kept in memory and written through
 * to the store (store.ts) on every change, so a restarted simulator knows every link it had (a WhatsApp server restart
 * does not unlink anyone).
 */
import { randomInt } from 'node:crypto';
import type { LTHashState } from 'baileys';
import type { Directory } from './directory.ts';
import type { CompanionKeys, Device, Phone, QueuedText } from './phone-types.ts';
import type { SimStore } from './store.ts';

/** What a phone row holds (patches have their own rows). */
interface PhoneData extends Pick<Phone, 'pushName' | 'businessName' | 'rawId' | 'nextKeyIndex'> {
  contacts?: string[];
  appState: { keyId: Buffer; keyData: Buffer; timestamp: number; critical: LTHashState; name: string | null } | null;
}

/** What a device row holds (one-time pre-keys and queued texts have their own rows). */
interface DeviceData extends Pick<
  Device,
  'platform' | 'businessName' | 'keyIndex' | 'linkedAt' | 'noisePub' | 'identityPub' | 'bootstrapped' | 'syncedVersion'
> {
  keys: Omit<CompanionKeys, 'preKeys'> | null;
}

export class PhoneBook {
  private readonly phones = new Map<string, Phone>();

  constructor(
    private readonly directory: Directory,
    private readonly store: SimStore,
  ) {}

  /** Rebuilds phones and devices from the store (the directory is loaded first). */
  load(): void {
    for (const row of this.store.loadPhones()) {
      const d = row.data as PhoneData;
      const person = this.directory.getOrCreate(row.phone);
      this.phones.set(row.phone, {
        phone: row.phone,
        pushName: d.pushName,
        businessName: d.businessName,
        person,
        lidUser: person.lidUser,
        accountKey: person.identity,
        appState: d.appState && { ...d.appState, patches: row.patches, chain: Promise.resolve() },
        rawId: d.rawId,
        nextKeyIndex: d.nextKeyIndex,
        contacts: new Set(d.contacts ?? []),
        devices: new Map(),
      });
    }
    for (const row of this.store.loadDevices()) {
      const p = this.phones.get(row.phone);
      if (!p) continue;
      const d = row.data as DeviceData;
      const device = this.newDevice(p, row.id, d);
      device.keys = d.keys && { ...d.keys, preKeys: new Map(row.preKeys) };
      device.bootstrapped = d.bootstrapped;
      device.syncedVersion = d.syncedVersion;
      device.queue = row.queue.map(({ seq, item }) => ({ ...(item as QueuedText), seq }));
      p.devices.set(row.id, device);
    }
  }

  get(phone: string): Phone | undefined {
    return this.phones.get(phone);
  }

  all(): Phone[] {
    return [...this.phones.values()];
  }

  /** Phones are created on demand by scan / enterCode. */
  getOrCreate(phone: string): Phone {
    let p = this.phones.get(phone);
    if (!p) {
      // A number that texted as a contact before keeps its LID and identity when it becomes an account.
      const person = this.directory.getOrCreate(phone);
      p = {
        phone,
        pushName: person.contactName,
        businessName: null,
        person,
        lidUser: person.lidUser,
        accountKey: person.identity,
        appState: null,
        rawId: randomInt(1, 2 ** 31),
        nextKeyIndex: 1,
        contacts: new Set(),
        devices: new Map(),
      };
      this.phones.set(phone, p);
      this.save(p);
    }
    return p;
  }

  /** Writes the phone's own fields (names, key index, app-state keys and LT hash) after a change. */
  save(p: Phone): void {
    const a = p.appState;
    const data: PhoneData = {
      pushName: p.pushName,
      businessName: p.businessName,
      rawId: p.rawId,
      nextKeyIndex: p.nextKeyIndex,
      contacts: [...p.contacts],
      appState: a && { keyId: a.keyId, keyData: a.keyData, timestamp: a.timestamp, critical: a.critical, name: a.name },
    };
    this.store.savePhone(p.phone, data);
  }

  /** `number` and the account now have a chat (stored once). */
  addContact(p: Phone, number: string): void {
    if (p.contacts.has(number) || number === p.phone) return;
    p.contacts.add(number);
    this.save(p);
  }

  /** A new app-state patch (version = its position + 1) together with the phone's new LT hash. */
  addPatch(p: Phone, version: number, patch: Uint8Array): void {
    this.store.tx(() => {
      this.store.addPatch(p.phone, version, patch);
      this.save(p);
    });
  }

  private newDevice(p: Phone, id: number, d: Omit<DeviceData, 'keys' | 'bootstrapped' | 'syncedVersion'>): Device {
    return {
      phone: p.phone,
      id,
      jid: `${p.phone}:${id}@s.whatsapp.net`,
      lid: `${p.lidUser}:${id}@lid`,
      platform: d.platform,
      businessName: d.businessName,
      keyIndex: d.keyIndex,
      linkedAt: d.linkedAt,
      noisePub: d.noisePub,
      identityPub: d.identityPub,
      keys: null,
      queue: [],
      inflight: new Map(),
      bootstrapped: false,
      bootstrapConn: null,
      syncedVersion: 0,
      conn: null,
    };
  }

  /** Adds a linked device with the next free device id ≥ 1. */
  addDevice(
    p: Phone,
    d: { platform: string; businessName: string | null; noisePub: Buffer; identityPub: Buffer },
  ): Device {
    let id = 1;
    while (p.devices.has(id)) id++;
    const dev = this.newDevice(p, id, { ...d, keyIndex: p.nextKeyIndex++, linkedAt: Date.now() });
    p.devices.set(id, dev);
    this.store.tx(() => {
      this.save(p);
      this.saveDevice(dev);
    });
    return dev;
  }

  /** Writes the device's own fields (keys, sync progress) after a change. */
  saveDevice(dev: Device): void {
    const data: DeviceData = {
      platform: dev.platform,
      businessName: dev.businessName,
      keyIndex: dev.keyIndex,
      linkedAt: dev.linkedAt,
      noisePub: dev.noisePub,
      identityPub: dev.identityPub,
      keys: dev.keys && {
        registrationId: dev.keys.registrationId,
        identity: dev.keys.identity,
        signedPreKey: dev.keys.signedPreKey,
      },
      bootstrapped: dev.bootstrapped,
      syncedVersion: dev.syncedVersion,
    };
    this.store.saveDevice(dev.phone, dev.id, data);
  }

  /** The companion's pre-key upload: its keys, and the one-time pre-keys it added (`replaced`: the old ones are void). */
  saveUpload(dev: Device, added: Array<[number, Buffer]>, replaced: boolean): void {
    this.store.tx(() => {
      if (replaced) this.store.deletePreKeys(dev.phone, dev.id);
      this.saveDevice(dev);
      this.store.addPreKeys(dev.phone, dev.id, added);
    });
  }

  /** A one-time pre-key was handed out (to a key fetch or to the simulator's own pkmsg). */
  consumePreKey(dev: Device, keyId: number): void {
    dev.keys?.preKeys.delete(keyId);
    this.store.deletePreKey(dev.phone, dev.id, keyId);
  }

  enqueue(dev: Device, item: Omit<QueuedText, 'seq'>): QueuedText {
    const queued = { ...item, seq: this.store.enqueue(dev.phone, dev.id, item) };
    dev.queue.push(queued);
    return queued;
  }

  /** The companion has the item (it receipted or acked it, or it can never be built): its row goes. */
  delivered(item: QueuedText): void {
    this.store.dequeue(item.seq);
  }

  /** Forgets the device and, on every Signal party, the sessions with it: a later companion may get the same id, and
   * a stale session would make everything sent to it fail with Bad MAC. */
  removeDevice(p: Phone, id: number): Device | undefined {
    const d = p.devices.get(id);
    p.devices.delete(id);
    if (d) {
      d.queue.length = 0;
      d.inflight.clear();
      this.store.deleteDevice(p.phone, id);
      // Each party's operations are serialised, so this runs before anything later encrypts to the new device.
      void this.directory.forgetDevice(d.jid);
    }
    return d;
  }

  findDevice(phone: string, id: number): { phone: Phone; device: Device } | undefined {
    const p = this.phones.get(phone);
    const d = p?.devices.get(id);
    return p && d ? { phone: p, device: d } : undefined;
  }

  /** The account and companion a connection has logged in as; undefined before login, or once unlinked. */
  ofConnection(conn: { phone: string | null; deviceId: number | null }): { phone: Phone; device: Device } | undefined {
    return conn.phone && conn.deviceId != null ? this.findDevice(conn.phone, conn.deviceId) : undefined;
  }

  /** Forgets every phone (reset); the store is cleared by the caller. */
  clear(): void {
    this.phones.clear();
  }
}

/**
 * The simulated phones (primary devices) and the companion devices linked to them. State lives in memory only,
 * which is what a network simulator needs: restarting it forgets every link, as if every phone had unlinked.
 */
import { randomInt } from 'node:crypto';
import type { BinaryNode } from 'baileys';
import type { KeyPair } from './certs.ts';
import { SimError } from './errors.ts';
import type { Connection } from './connection.ts';
import type { Directory, Person } from './directory.ts';
import type { AppState } from './app-state.ts';

/** What the companion uploaded at login (protocol doc 14.2): its Signal identity, signed pre-key and one-time pre-keys. */
export interface CompanionKeys {
  registrationId: number;
  identity: Buffer; // 32 bytes
  signedPreKey: { id: number; pub: Buffer; sig: Buffer };
  /** One-time pre-keys the server still holds (id → 32-byte pub); each pkmsg anyone builds uses one up. */
  preKeys: Map<number, Buffer>;
}

/** A stanza waiting for an offline companion, built when it is delivered (so it is encrypted with the session of that moment). */
export type QueuedStanza = () => Promise<BinaryNode | null>;

export interface Device {
  id: number; // companion device id, ≥ 1 (0 is the phone itself)
  jid: string; // <phone>:<id>@s.whatsapp.net
  lid: string; // <lidUser>:<id>@lid
  platform: string;
  businessName: string | null;
  keyIndex: number;
  /** The companion's long-term noise key: the login handshake must present exactly this static key. */
  noisePub: Buffer;
  identityPub: Buffer;
  /** Null until the companion's first login uploads them. */
  keys: CompanionKeys | null;
  /** Stanzas for this companion while it is offline (contact texts); delivered on its next login. */
  queue: QueuedStanza[];
  /** The companion finished its app-state bootstrap (asked for the collections after the key share). */
  bootstrapped: boolean;
  /** Bootstrap stanzas were sent on this connection (not resent while it lives). */
  bootstrapConn: Connection | null;
  /** critical_block version the companion was last served; lower than the account's → it is told to resync. */
  syncedVersion: number;
  conn: Connection | null;
}

export interface Phone {
  phone: string;
  pushName: string | null;
  /** Set when a business app linked a device: WhatsApp Business shows (and syncs) the business name. */
  businessName: string | null;
  person: Person;
  lidUser: string; // stable random 15-digit LID user (the directory's, shared with the number's contact role)
  /** The account (ADV) identity key: signs every linked device's identity, and is device 0's Signal identity. */
  accountKey: KeyPair;
  /** App-state (keys, critical_block patches) of the account, made on first use. */
  appState: AppState | null;
  rawId: number;
  nextKeyIndex: number;
  devices: Map<number, Device>;
}

export const PHONE_RE = /^[1-9]\d{5,14}$/;

export function normalizePhone(input: unknown): string {
  const s = String(input ?? '').replace(/^\+/, '');
  if (!PHONE_RE.test(s)) throw new SimError('invalid_phone', `phone must be 6-15 digits with country code, got ${JSON.stringify(input)}`);
  return s;
}

export const BUSINESS_PLATFORMS = new Set(['smba', 'smbi']);

export class PhoneBook {
  private readonly phones = new Map<string, Phone>();

  constructor(private readonly directory: Directory) {}

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
        devices: new Map(),
      };
      this.phones.set(phone, p);
    }
    return p;
  }

  /** Adds a linked device with the next free device id ≥ 1. */
  addDevice(
    p: Phone,
    d: { platform: string; businessName: string | null; noisePub: Buffer; identityPub: Buffer },
  ): Device {
    let id = 1;
    while (p.devices.has(id)) id++;
    const dev: Device = {
      id,
      jid: `${p.phone}:${id}@s.whatsapp.net`,
      lid: `${p.lidUser}:${id}@lid`,
      platform: d.platform,
      businessName: d.businessName,
      keyIndex: p.nextKeyIndex++,
      noisePub: d.noisePub,
      identityPub: d.identityPub,
      keys: null,
      queue: [],
      bootstrapped: false,
      bootstrapConn: null,
      syncedVersion: 0,
      conn: null,
    };
    p.devices.set(id, dev);
    return dev;
  }

  removeDevice(p: Phone, id: number): Device | undefined {
    const d = p.devices.get(id);
    p.devices.delete(id);
    return d;
  }

  findDevice(phone: string, id: number): { phone: Phone; device: Device } | undefined {
    const p = this.phones.get(phone);
    const d = p?.devices.get(id);
    return p && d ? { phone: p, device: d } : undefined;
  }
}

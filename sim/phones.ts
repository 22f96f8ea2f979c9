/**
 * The simulated phones (primary devices) and the companion devices linked to them. State lives in memory only,
 * which is what a network simulator needs: restarting it forgets every link, as if every phone had unlinked.
 */
import { randomInt } from 'node:crypto';
import { randomKeyPair, type KeyPair } from './certs.ts';
import { SimError } from './errors.ts';
import type { Connection } from './connection.ts';

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
  preKeyCount: number;
  /** The push-name shortcut (README) is delivered once per device. */
  pushNameDelivered: boolean;
  conn: Connection | null;
}

export interface Phone {
  phone: string;
  pushName: string | null;
  lidUser: string; // stable random 15-digit LID user
  /** The account (ADV) identity key: signs every linked device's identity. */
  accountKey: KeyPair;
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
  private readonly lidUsers = new Set<string>();

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
      let lidUser: string;
      do lidUser = String(randomInt(1, 10)) + String(randomInt(0, 1e7)).padStart(7, '0') + String(randomInt(0, 1e7)).padStart(7, '0');
      while (this.lidUsers.has(lidUser));
      this.lidUsers.add(lidUser);
      p = {
        phone,
        pushName: null,
        lidUser,
        accountKey: randomKeyPair(),
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
      preKeyCount: 0,
      pushNameDelivered: false,
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

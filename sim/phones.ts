/**
 * The simulated phones (primary devices) and the companion devices linked to them. State lives in memory only,
 * which is what a network simulator needs: restarting it forgets every link, as if every phone had unlinked.
 */
import { randomInt } from 'node:crypto';
import type { Directory } from './directory.ts';
import type { Device, Phone } from './phone-types.ts';

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

  /** Forgets the device and, on every Signal party, the sessions with it: a later companion may get the same id, and
   * a stale session would make everything sent to it fail with Bad MAC. */
  removeDevice(p: Phone, id: number): Device | undefined {
    const d = p.devices.get(id);
    p.devices.delete(id);
    if (d) {
      d.queue.length = 0;
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
}

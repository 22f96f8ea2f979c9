/**
 * Every phone number the simulated network knows: simulated accounts (phones with linked companions) and simulated
 * contacts alike. One entry per number holds what is the same whichever role the number plays: its LID, its Signal
 * identity (for an account this is the ADV account key, protocol doc 14.1), its Signal party (device 0), its push
 * name when it is only a contact, and the texts it received. Contacts are created on demand for any 6–15-digit number.
 */
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { randomKeyPair, type KeyPair } from './certs.ts';
import { PHONE_RE } from './phone-number.ts';
import { SignalParty, type SavedParty } from './signal-party.ts';
import type { SimStore } from './store.ts';

export interface ReceivedMessage {
  id: string;
  /** The sending account's number (digits). */
  from: string;
  text: string;
  timestamp: number;
}

export interface Person {
  number: string;
  lidUser: string; // stable random 15-digit LID user
  identity: KeyPair;
  /** Push name used when this number texts as a contact (an account's own name lives on its Phone). */
  contactName: string | null;
  received: ReceivedMessage[];
  party: SignalParty | null;
  /** The party's stored creds, until the party is first used (then the party itself keeps them). */
  savedParty: SavedParty | null;
}

interface PersonData {
  lidUser: string;
  identity: KeyPair;
  contactName: string | null;
}

export class Directory {
  private readonly byNumber = new Map<string, Person>();
  private readonly byLidUser = new Map<string, Person>();

  constructor(
    private readonly logger: Logger,
    private readonly store: SimStore,
  ) {}

  /** Rebuilds every number from the store (parties are rebuilt on first use, from their stored creds and keys). */
  load(): void {
    for (const row of this.store.loadPersons()) {
      const d = row.data as PersonData;
      const p: Person = {
        number: row.number,
        lidUser: d.lidUser,
        identity: d.identity,
        contactName: d.contactName,
        received: row.received as ReceivedMessage[],
        party: null,
        savedParty: row.party as SavedParty | null,
      };
      this.byNumber.set(p.number, p);
      this.byLidUser.set(p.lidUser, p);
    }
  }

  private data(p: Person): PersonData {
    return { lidUser: p.lidUser, identity: p.identity, contactName: p.contactName };
  }

  private save(p: Person): void {
    this.store.savePerson(p.number, this.data(p));
  }

  setContactName(p: Person, name: string): void {
    p.contactName = name;
    this.save(p);
  }

  addReceived(p: Person, m: ReceivedMessage): void {
    p.received.push(m);
    this.store.addReceived(p.number, m);
  }

  get(number: string): Person | undefined {
    return this.byNumber.get(number);
  }

  /** Any valid number exists: the network answers for it and its keys are made on first use. */
  getOrCreate(number: string): Person {
    let p = this.byNumber.get(number);
    if (!p) {
      if (!PHONE_RE.test(number)) throw new Error(`not a phone number: ${number}`);
      let lidUser: string;
      do
        lidUser =
          String(randomInt(1, 10)) +
          String(randomInt(0, 1e7)).padStart(7, '0') +
          String(randomInt(0, 1e7)).padStart(7, '0');
      while (this.byLidUser.has(lidUser));
      p = {
        number,
        lidUser,
        identity: randomKeyPair(),
        contactName: null,
        received: [],
        party: null,
        savedParty: null,
      };
      this.byNumber.set(number, p);
      this.byLidUser.set(lidUser, p);
      this.store.newPerson(number, this.data(p));
    }
    return p;
  }

  /** Forgets every number (reset); the store is cleared by the caller. */
  clear(): void {
    this.byNumber.clear();
    this.byLidUser.clear();
  }

  byLid(lidUser: string): Person | undefined {
    return this.byLidUser.get(lidUser);
  }

  /** A user part of a JID (PN digits or LID user, by server) → its entry; PNs are created on demand. */
  resolve(user: string, server: string | undefined): Person | undefined {
    if (server === 'lid') return this.byLid(user);
    if (server === 's.whatsapp.net' || server === 'c.us')
      return PHONE_RE.test(user) ? this.getOrCreate(user) : undefined;
    return undefined;
  }

  /** A companion was removed: every party (its own phone and every contact) drops what it held for that device. */
  forgetDevice(jid: string): Promise<void> {
    const parties = [...this.byNumber.values()].flatMap((p) => (p.party ? [p.party] : []));
    return Promise.all(parties.map((party) => party.forget(jid))).then(() => undefined);
  }

  /** The number's Signal party (its device 0), built on first use from its identity. */
  party(p: Person): SignalParty {
    if (!p.party) {
      const { number } = p;
      p.party = new SignalParty(p.identity, this.logger.child({ party: number }), {
        saved: p.savedParty ? { ...p.savedParty, keys: this.store.signalKeys(number) } : null,
        saveParty: (data) => this.store.saveParty(number, data),
        setKey: (type, id, value) => this.store.setSignalKey(number, type, id, value),
      });
      p.savedParty = null;
    }
    return p.party;
  }
}

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
import { SignalParty } from './signal-party.ts';

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
}

export class Directory {
  private readonly byNumber = new Map<string, Person>();
  private readonly byLidUser = new Map<string, Person>();

  constructor(private readonly logger: Logger) {}

  get(number: string): Person | undefined {
    return this.byNumber.get(number);
  }

  /** Any valid number exists: the network answers for it and its keys are made on first use. */
  getOrCreate(number: string): Person {
    let p = this.byNumber.get(number);
    if (!p) {
      if (!PHONE_RE.test(number)) throw new Error(`not a phone number: ${number}`);
      let lidUser: string;
      do lidUser = String(randomInt(1, 10)) + String(randomInt(0, 1e7)).padStart(7, '0') + String(randomInt(0, 1e7)).padStart(7, '0');
      while (this.byLidUser.has(lidUser));
      p = { number, lidUser, identity: randomKeyPair(), contactName: null, received: [], party: null };
      this.byNumber.set(number, p);
      this.byLidUser.set(lidUser, p);
    }
    return p;
  }

  byLid(lidUser: string): Person | undefined {
    return this.byLidUser.get(lidUser);
  }

  /** A user part of a JID (PN digits or LID user, by server) → its entry; PNs are created on demand. */
  resolve(user: string, server: string | undefined): Person | undefined {
    if (server === 'lid') return this.byLid(user);
    if (server === 's.whatsapp.net' || server === 'c.us') return PHONE_RE.test(user) ? this.getOrCreate(user) : undefined;
    return undefined;
  }

  /** A companion was removed: every party (its own phone and every contact) drops what it held for that device. */
  forgetDevice(jid: string): Promise<void> {
    const parties = [...this.byNumber.values()].flatMap((p) => (p.party ? [p.party] : []));
    return Promise.all(parties.map((party) => party.forget(jid))).then(() => undefined);
  }

  /** The number's Signal party (its device 0), built on first use from its identity. */
  party(p: Person): SignalParty {
    if (!p.party) p.party = new SignalParty(p.identity, this.logger.child({ party: p.number }));
    return p.party;
  }
}

/**
 * Shared simulator state, passed to every handler module. Kept as a plain class so handler files stay
 * free functions that are easy to read next to the protocol doc.
 */
import type { Logger } from 'pino';
import type { Connection } from './connection.ts';
import { PhoneBook } from './phones.ts';
import { Directory } from './directory.ts';
import { FaultSet } from './fault-set.ts';
import type { SimStore } from './store.ts';
import type { KeyPair } from './certs.ts';
import type { PairInput } from './types.ts';

/** Pairing-by-code progress on a registration connection (protocol doc section 13). */
export interface LinkCodeState {
  phone: string;
  ref: string;
  wrappedCompanionEph: Buffer;
  platformId: string;
  platformDisplay: string;
  /** Set when the phone has entered the code (primary_hello sent). */
  primaryEph?: KeyPair;
  /** The companion's ephemeral key as unwrapped with the entered code (garbage if the code was wrong). */
  companionEph?: Buffer;
  input?: PairInput;
  /** Settles the enterCode() promise once companion_finish is judged. */
  settle?: (result: LinkResult) => void;
}

export type LinkResult = { ok: true; jid: string; lid: string } | { ok: false; code: string; message: string };

/** A live registration (not yet paired) connection. */
export interface Registration {
  conn: Connection;
  refs: string[];
  noisePub: Buffer; // handshake static key == QR field 2
  identityPub: Buffer; // ClientPayload devicePairingData.eIdent == QR field 3
  paired: boolean;
  link: LinkCodeState | null;
}

export class SimState {
  readonly directory: Directory;
  readonly phones: PhoneBook;
  readonly faults = new FaultSet();
  readonly conns = new Set<Connection>();
  readonly registrations = new Map<Connection, Registration>();
  /** QR ref → its registration, for every ref handed out on a live, unpaired connection. */
  readonly refs = new Map<string, Registration>();
  /** phone → registration that sent companion_hello for it (latest wins). */
  readonly pendingCodes = new Map<string, Registration>();

  /** Loads what the store holds: a restarted simulator knows every number, link, key and queued text it had. */
  constructor(
    readonly logger: Logger,
    readonly store: SimStore,
  ) {
    this.directory = new Directory(logger, store);
    this.phones = new PhoneBook(this.directory, store);
    this.directory.load();
    this.phones.load();
  }

  forgetRegistration(reg: Registration): void {
    for (const r of reg.refs) this.refs.delete(r);
    if (reg.link && this.pendingCodes.get(reg.link.phone) === reg) this.pendingCodes.delete(reg.link.phone);
    this.registrations.delete(reg.conn);
  }
}

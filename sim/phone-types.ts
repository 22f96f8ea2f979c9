/**
 * The plain data of simulated accounts: phones (primary devices), their linked companions and their app-state.
 * Types only, kept apart from phones.ts (PhoneBook) and app-state.ts (the sync logic) so that every module can name
 * a Phone or Device without importing the modules that act on them: that is what keeps sim/ free of import cycles.
 */
import type { LTHashState } from 'baileys';
import type { KeyPair } from './certs.ts';
import type { Connection } from './connection.ts';
import type { Person } from './directory.ts';

/** What the companion uploaded at login (protocol doc 14.2): its Signal identity, signed pre-key and one-time pre-keys. */
export interface CompanionKeys {
  registrationId: number;
  identity: Buffer; // 32 bytes
  signedPreKey: { id: number; pub: Buffer; sig: Buffer };
  /** One-time pre-keys the server still holds (id → 32-byte pub); each pkmsg anyone builds uses one up. */
  preKeys: Map<number, Buffer>;
}

/** A contact's text waiting for an offline companion: stored as data (it survives a restart) and encrypted only when
 * delivered, with the session of that moment. `seq` is its row in the store. */
export interface QueuedText {
  seq: number;
  kind: 'text';
  from: string;
  id: string;
  timestamp: number;
  text: string;
  notify: string;
}

export interface Device {
  phone: string; // the account's number
  id: number; // companion device id, ≥ 1 (0 is the phone itself)
  jid: string; // <phone>:<id>@s.whatsapp.net
  lid: string; // <lidUser>:<id>@lid
  platform: string;
  businessName: string | null;
  keyIndex: number;
  /** When the phone linked it (ms since epoch). */
  linkedAt: number;
  /** The companion's long-term noise key: the login handshake must present exactly this static key. */
  noisePub: Buffer;
  identityPub: Buffer;
  /** Null until the companion's first login uploads them. */
  keys: CompanionKeys | null;
  /** Stanzas for this companion while it is offline (contact texts); delivered on its next login. */
  queue: QueuedText[];
  /** Sent on the current connection, not yet receipted or acked by the companion (message id → text): back to the
   * front of the queue if the connection ends first, as the real server keeps offline messages until they are acked. */
  inflight: Map<string, QueuedText>;
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
  /** Numbers the account has a chat with (texts either way, chat states, receipts): who sees its online presence. */
  contacts: Set<string>;
  devices: Map<number, Device>;
}

/** App-state (protocol doc 14.5) of one account; built and advanced by app-state.ts. */
export interface AppState {
  keyId: Buffer; // 6 bytes
  keyData: Buffer; // 32 bytes
  timestamp: number;
  /** critical_block after the latest patch: its version, LT hash and index→valueMac map (input to the next patch). */
  critical: LTHashState;
  /** Encoded SyncdPatch bytes; patches[i] is version i + 1. */
  patches: Uint8Array[];
  /** The name the latest patch set (null: no patch yet). */
  name: string | null;
  chain: Promise<unknown>;
}

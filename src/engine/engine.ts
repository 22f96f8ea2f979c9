import { EventEmitter } from 'node:events';
import type { AuthKeyValue } from '../domain/index.ts';

/**
 * What the rest of Switchboard knows of WhatsApp. Only src/engine/baileys/ imports `baileys`.
 * An EngineSession is one linked device's connection attempt chain. It hides the 515 "restart required"
 * reconnect (part of every pairing) and reports every other close once, with our own reason code;
 * the reconnect *policy* (backoff, limits) belongs to src/sessions.
 */

export interface EngineIdentity {
  /** Device JID as WhatsApp assigned it, e.g. "201012345678:1@s.whatsapp.net". */
  deviceJid: string;
  /** Digits of the account's phone number, e.g. "201012345678". */
  phone: string;
  /** Account LID without device, e.g. "123456789012345@lid", or null. */
  lid: string | null;
  /** me.name: push name (personal) or business name; null until known. */
  pushName: string | null;
  /** Verified business name when the phone is a business app (smba/smbi), else null. */
  businessName: string | null;
  /** Raw platform WhatsApp reported at pairing: "android", "iphone", "smba", "smbi", ... */
  platform: string | null;
}

/** Our close reasons (one mapping table from Baileys' codes lives in the adapter). */
export type EngineCloseReason =
  | 'device_removed' // 401 logged out / unlinked by the phone: credentials are dead
  | 'connection_replaced' // 440: the same credentials connected elsewhere
  | 'qr_timeout' // 408 "QR refs attempts ended": nobody scanned
  | 'connection_lost' // drop, 408 keep-alive, 428, 5xx, unreachable: transient
  | 'certificate_invalid' // handshake certificate chain not signed by the trusted root
  | 'pairing_failed' // 500 bad session, e.g. forged account signature at pairing
  | 'forbidden' // 403
  | 'logged_out' // our own logout() completed
  | 'stopped'; // our own end()

export interface EngineClose {
  reason: EngineCloseReason;
  /** Whether retrying with the same credentials can help. */
  transient: boolean;
  statusCode?: number;
  message: string;
}

export interface EngineQr {
  /** Raw QR string as the client shows it (https://wa.me/settings/linked_devices#ref,noise,identity,adv,platform). */
  value: string;
  /** Unix ms when this ref stops being valid. */
  expiry: number;
}

/** A text to send. `to` is a phone JID, "<digits>@s.whatsapp.net". */
export interface EngineTextMessage {
  to: string;
  text: string;
  /** Id of the message this one quotes, or null. */
  replyTo?: string | null;
  /** WhatsApp message id to use (Engine.newMessageId()), so a re-send after a crash carries the same id. */
  id: string;
}

export interface EngineSent {
  id: string;
  /** Unix seconds. */
  timestamp: number;
}

/** A typing indicator: the contact sees "typing…" (composing) until paused, a message arrives, or it times out. */
export type EngineTyping = 'composing' | 'paused';

/** An inbound text from a contact (1:1 chats only). JIDs are phone JIDs without device: "<digits>@s.whatsapp.net". */
export interface EngineMessage {
  id: string;
  /** Unix seconds. */
  timestamp: number;
  from: string;
  to: string;
  body: string;
  fromMe: boolean;
  /** The sender's push name as its message carried it ("notify"), or null. */
  pushName: string | null;
  /** Id of the quoted message, or null. */
  replyTo: string | null;
}

/** WhatsApp's acknowledgement levels of a sent message: 1 server, 2 delivered to a device, 3 read. */
export type EngineAckLevel = 1 | 2 | 3;

/** An acknowledgement of one of our sent messages. `from` is us, `to` the chat (phone JIDs). */
export interface EngineAck {
  id: string;
  from: string;
  to: string;
  ack: EngineAckLevel;
}

export interface EngineSessionEvents {
  qr: [EngineQr];
  open: [EngineIdentity];
  /** Identity changed while open (e.g. push name synced or renamed). */
  identity: [EngineIdentity];
  /** A text from a contact arrived (decrypted). */
  message: [EngineMessage];
  /** A message we sent was acknowledged (server, delivered, read). */
  ack: [EngineAck];
  close: [EngineClose];
}

/** A command to a session that is not (or no longer) open. */
export class EngineSessionClosedError extends Error {
  constructor(message = 'engine session is closed') {
    super(message);
    this.name = 'EngineSessionClosedError';
  }
}

export abstract class EngineSession extends EventEmitter<EngineSessionEvents> {
  /** Phone-number pairing; only valid while the session shows a QR. Returns "ABCD-1234". */
  abstract requestPairingCode(phone: string): Promise<string>;
  /** Unlinks the device on WhatsApp, closes, and clears the auth state. Emits close 'logged_out'. */
  abstract logout(): Promise<void>;
  /** Closes the connection, keeping credentials. Emits close 'stopped'. Idempotent. */
  abstract end(): Promise<void>;
  /** Live identity from the current credentials (never a snapshot), or null when not linked. */
  abstract identity(): EngineIdentity | null;
  /** Sends a text end-to-end encrypted; resolves once it left for WhatsApp. Throws EngineSessionClosedError when not open. */
  abstract sendText(message: EngineTextMessage): Promise<EngineSent>;
  /** Shows or clears the typing indicator in a 1:1 chat (`to` a phone JID). Throws EngineSessionClosedError when not open. */
  abstract sendTyping(to: string, state: EngineTyping): Promise<void>;
  /**
   * Read receipts ("seen", blue ticks) for messages the contact `chat` sent: the given ids, or with null every message
   * of that chat received since the session started and not yet read. Resolves with the ids marked.
   */
  abstract markRead(chat: string, ids: readonly string[] | null): Promise<string[]>;
}

export interface EngineStartOptions {
  instanceId: string;
  auth: AuthKeyValue;
}

export interface Engine {
  readonly name: 'BAILEYS';
  /** Starts connecting: emits qr (not linked) or open (linked), then close once. */
  start(opts: EngineStartOptions): EngineSession;
  /** True when the auth state holds a completed pairing (registered creds), so a start logs straight in. */
  isLinked(auth: AuthKeyValue): Promise<boolean>;
  /** A fresh WhatsApp message id, chosen before sending so a queued message keeps its id across re-sends. */
  newMessageId(): string;
}

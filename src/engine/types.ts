import { EventEmitter } from 'node:events';
import type { AuthKeyValue } from '../store/types.ts';

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

export interface EngineSessionEvents {
  qr: [EngineQr];
  open: [EngineIdentity];
  /** Identity changed while open (e.g. push name synced or renamed). */
  identity: [EngineIdentity];
  close: [EngineClose];
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
}

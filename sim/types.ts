/**
 * The simulator's public interfaces. A leaf module (it imports no other sim/ file) so that server.ts, control.ts and
 * the handlers can use these types while index.ts, which re-exports them, imports server.ts: no import cycle.
 */
import type pino from 'pino';

export interface SimulatorOptions {
  port?: number; // 0 = random
  host?: string; // '127.0.0.1'
  /** Deterministic root key (private key = sha256(rootSeed)); default random per simulator. */
  rootSeed?: string;
  logger?: pino.Logger;
  /** Keep the simulator's state (keys, phones, links, Signal sessions, app state, queued texts) in
   * `<dataDir>/sandbox.db` and load it at start; without it everything is in memory and gone at stop. */
  dataDir?: string;
  /** Serve the small HTTP control surface (control.ts) on the same port. Off by default: it has no authentication. */
  controlApi?: boolean;
}

export interface PairInput {
  phone: string;
  pushName?: string | null;
  platform?: string;
  businessName?: string | null;
}

export interface SendTextInput {
  from: string;
  to: string;
  text: string;
  /** The contact's push name (sticky); default: the name it had, or "Contact <last 4 digits>". */
  name?: string;
}

/** Faults applied to whole client connections (certificate chain / Noise static key of the handshake). */
export type ConnectionFault = 'cert_key_mismatch' | 'cert_expired';

export interface SimFaults {
  /** Leave w:p pings unanswered: the client ends with 408 after keepAliveIntervalMs + 5 s. */
  ignorePings: boolean;
  /** Sign the certificate chain with a root the client does not trust. */
  foreignRoot: boolean;
  /** Refuse new WebSocket upgrades (socket destroyed before the handshake). */
  refuseConnections: boolean;
  /** pair-success carries an account signature that does not verify (the HMAC is still right). */
  forgeAccountSignature: boolean;
  /** The next `connections` (default 1) client connections meet `fault`: `cert_key_mismatch` = the genuine chain with a
   * Noise static key that is not the leaf's key; `cert_expired` = a correctly signed leaf whose validity ended. Queued
   * after faults already pending; returns how many connections have a fault pending. Throws SimError 'invalid_fault',
   * 'invalid_connections'. */
  inject(input: { fault: ConnectionFault; connections?: number }): { pending: number };
  /** Forgets every pending connection fault (the flags stay as they are). */
  clear(): void;
  /** Pending connection faults, next first. */
  readonly pending: ConnectionFault[];
}

/** What a number observed from accounts' companions besides texts (sim/activity.ts). `timestamp` in unix seconds. */
export type ActivityEntry =
  | { kind: 'presence'; from: string; state: 'composing' | 'paused' | 'available' | 'unavailable'; timestamp: number }
  | { kind: 'receipt'; from: string; type: 'read'; message_ids: string[]; timestamp: number };

export interface Simulator {
  /** ws://127.0.0.1:<port>/ws/chat, for Baileys' waWebSocketUrl. */
  readonly url: string;
  /** 32 bytes; the client sets WA_CERT_DETAILS.PUBLIC_KEY to it. */
  readonly rootPublicKey: Buffer<ArrayBuffer>; // Buffer<ArrayBuffer> so it can be assigned to WA_CERT_DETAILS.PUBLIC_KEY directly
  /** Throws SimError 'qr_unknown' (unknown/expired ref), 'qr_invalid' (malformed or keys mismatch), 'invalid_phone'. */
  scan(input: PairInput & { qr: string }): Promise<{ jid: string; lid: string }>;
  /** Resolves when the companion finished and pair-success was sent. Throws SimError 'no_pending_code',
   * 'code_mismatch' (wrong code: companion_finish was refused), 'invalid_code', 'invalid_phone', 'code_timeout'. */
  enterCode(input: PairInput & { code: string }): Promise<{ jid: string; lid: string }>;
  /** Removes that phone's linked devices; connected ones get 401 device_removed. Returns how many were removed. */
  unlink(phone: string): Promise<number>;
  /** drop: socket killed without close frame (428) / conflict: 440 replaced / restart: 515. Returns devices hit. */
  disconnect(phone: string, mode: 'drop' | 'conflict' | 'restart'): Promise<number>;
  listPhones(): Array<{
    phone: string;
    push_name: string | null;
    devices: Array<{ jid: string; platform: string; connected: boolean }>;
  }>;
  /** The account renames itself: a new app-state patch and `server_sync` to its connected companions (returned:
   * how many); offline ones resync at their next login. For a number that is not an account, sets its contact name.
   * Throws SimError 'invalid_phone', 'invalid_name'. */
  setPushName(phone: string, name: string): Promise<{ notified: number }>;
  /** A simulated contact (any 6–15-digit number, created on demand) sends a Signal-encrypted text to every linked
   * device of the account `to` (queued for offline ones). Resolves once connected devices were sent their stanza.
   * Throws SimError 'invalid_phone', 'invalid_text', 'unknown_account'. */
  sendText(input: SendTextInput): Promise<{ id: string; timestamp: number }>;
  /** Texts the number received from accounts' companions, decrypted on its side (oldest first). */
  receivedMessages(phone: string): Array<{ id: string; from: string; text: string; timestamp: number }>;
  readonly faults: SimFaults;
  /** Forgets every phone, device, contact, key and message (connected companions get 401 device_removed). The server
   * keys stay, so clients keep trusting the root; pending QR/code registrations stay too. */
  reset(): Promise<void>;
  /** The phone's linked devices, lowest id first; `linked_at` ISO 8601. [] for a number with none. Throws 'invalid_phone'. */
  devices(phone: string): Array<{ jid: string; platform: string; linked_at: string }>;
  /** What the number observed besides texts, oldest first (chat states, online/offline, read receipts). */
  activity(phone: string): ActivityEntry[];
  stop(): Promise<void>;
}

type SimMethod = Exclude<keyof Simulator, 'url' | 'rootPublicKey' | 'faults'>;
type Flag = 'ignorePings' | 'foreignRoot' | 'refuseConnections' | 'forgeAccountSignature';
export type FaultFlags = Pick<SimFaults, Flag>;

/**
 * The simulator's surface with every call asynchronous: what a simulator in a worker thread offers (thread.ts), and
 * what an in-process one offers through asyncSimulator(). `url` and `rootPublicKey` are known once started.
 */
export type SimulatorClient = {
  readonly url: string;
  readonly rootPublicKey: Buffer<ArrayBuffer>;
  readonly faults: {
    inject(input: { fault: ConnectionFault; connections?: number }): Promise<{ pending: number }>;
    clear(): Promise<void>;
    pending(): Promise<ConnectionFault[]>;
    /** Switches flags on or off (the others stay as they are). */
    set(flags: Partial<FaultFlags>): Promise<void>;
  };
} & {
  [K in SimMethod]: (...args: Parameters<Simulator[K]>) => Promise<Awaited<ReturnType<Simulator[K]>>>;
};

import type { Logger } from 'pino';

/** Baileys' default accepts altered or forged app-state patches (both false; docs/whatsapp-protocol.md §14.8): we check both MACs. */
export const APP_STATE_MAC_VERIFICATION = { patch: true, snapshot: true } as const;

/** What every BaileysSession of one engine shares (built once in index.ts). */
export interface BaileysSessionConfig {
  waUrl?: string;
  qrTimeoutMs?: number;
  keepAliveIntervalMs?: number;
  connectTimeoutMs?: number;
  /** How long a requested pairing code may stay unconfirmed; a wrong code produces no Baileys event (13.6). */
  pairingCodeTimeoutMs: number;
  /** How long requestPairingCode waits for the registration stage (the first QR) before giving up. */
  registrationWaitMs: number;
  /** Consecutive 515 restarts allowed without reaching `open` (pairing needs one). */
  maxRestarts: number;
  /** If a socket does not report its close this long after we ended it, the session closes anyway. */
  endGraceMs: number;
  logger: Logger;
  baileysLogger: Logger;
}

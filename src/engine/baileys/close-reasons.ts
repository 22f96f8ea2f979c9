import type { EngineClose, EngineCloseReason } from '../engine.ts';
import { CERTIFICATE_REFUSED } from './trust.ts';

/**
 * The ONE mapping from how a Baileys socket ended (Boom statusCode + message, docs/whatsapp-protocol.md §8) to our
 * close reason and whether retrying with the same credentials can help. Rules are tried in order; the first match
 * wins. Own intents (logout → logged_out, end → stopped) and 515 restart-required are decided by the session
 * before it gets here; 515 only arrives here when the restart budget is spent.
 *
 * Decisions worth knowing:
 * - 401 (and 419, Baileys' other "unauthorized" code) means the credentials are dead: device_removed.
 * - 403 forbidden: non-transient; the account may not use this client.
 * - 408 is both "QR refs attempts ended" (qr_timeout: a human has to come back, so not transient) and keep-alive loss.
 * - 411 multideviceMismatch (`<ib><downgrade_webclient/>`) → connection_lost, transient. Every account is
 *   multi-device today, so a 411 is not proof that the credentials are dead; wiping them (device_removed) would
 *   be irreversible, while the sessions' restart limit already bounds the retries.
 * - 500: "Invalid account signature" / "Failed to verify account signature" is a refused pairing → pairing_failed.
 *   Any other 500 — or an error without a status code, such as the TypeError a malformed pair-success causes —
 *   is pairing_failed while pairing and connection_lost (transient) once linked.
 * - pairing_failed is transient: a fresh session shows a fresh QR, which can pair.
 * - Everything else (428 closed, 408, 503, other 5xx, ECONNREFUSED & co. which Baileys reports as 408) is
 *   connection_lost, transient.
 */

export interface DisconnectContext {
  /** True while the credentials hold no completed pairing (showing a QR, a code, or mid pair-success). */
  pairing: boolean;
}

interface Rule {
  /** Documentation of the case, also used by the tests' table. */
  when: string;
  test: (code: number | undefined, message: string, ctx: DisconnectContext) => boolean;
  reason: EngineCloseReason;
  transient: boolean;
}

const CERT_MESSAGES = [
  'certification match failed',
  'noise certificate signature invalid',
  'noise intermediate certificate signature invalid',
  'invalid noise leaf certificate',
  'invalid noise intermediate certificate',
  CERTIFICATE_REFUSED, // the complete check of trust.ts (leaf key = Noise static key, validity periods, serials)
];
const ACCOUNT_SIGNATURE_MESSAGES = ['Invalid account signature', 'Failed to verify account signature'];

export const CLOSE_RULES: readonly Rule[] = [
  {
    when: '401 loggedOut (unlinked, removed, unknown device)',
    test: (c) => c === 401,
    reason: 'device_removed',
    transient: false,
  },
  {
    when: '419 (Baileys counts it as unauthorized)',
    test: (c) => c === 419,
    reason: 'device_removed',
    transient: false,
  },
  { when: '403 forbidden', test: (c) => c === 403, reason: 'forbidden', transient: false },
  { when: '440 connectionReplaced', test: (c) => c === 440, reason: 'connection_replaced', transient: false },
  {
    when: '408 "QR refs attempts ended"',
    test: (c, m) => c === 408 && m.includes('QR refs attempts ended'),
    reason: 'qr_timeout',
    transient: false,
  },
  {
    when: '400 certificate chain refused',
    test: (c, m) => c === 400 && CERT_MESSAGES.some((x) => m.includes(x)),
    reason: 'certificate_invalid',
    transient: false,
  },
  {
    when: 'account signature / HMAC refused at pairing',
    test: (_c, m) => ACCOUNT_SIGNATURE_MESSAGES.some((x) => m.includes(x)),
    reason: 'pairing_failed',
    transient: true,
  },
  {
    when: '500 or no status code while pairing',
    test: (c, _m, ctx) => ctx.pairing && (c === 500 || c === undefined),
    reason: 'pairing_failed',
    transient: true,
  },
  { when: '411 multideviceMismatch', test: (c) => c === 411, reason: 'connection_lost', transient: true },
  {
    when: 'anything else (428, 408, 503, 5xx, unreachable, 515 over budget)',
    test: () => true,
    reason: 'connection_lost',
    transient: true,
  },
];

/** Reads the status code and message off whatever Baileys put into lastDisconnect.error (a Boom, an Error, or nothing). */
export function describeError(error: unknown): { statusCode: number | undefined; message: string } {
  if (!error) return { statusCode: undefined, message: 'connection closed' };
  const e = error as { output?: { statusCode?: unknown }; message?: unknown };
  const code = e.output?.statusCode;
  const message = typeof e.message === 'string' && e.message ? e.message : String(error);
  return { statusCode: typeof code === 'number' && Number.isFinite(code) ? code : undefined, message };
}

export function mapDisconnect(error: unknown, ctx: DisconnectContext): EngineClose {
  const { statusCode, message } = describeError(error);
  // The last rule always matches, so find() never returns undefined.
  const rule = CLOSE_RULES.find((r) => r.test(statusCode, message, ctx))!;
  const close: EngineClose = { reason: rule.reason, transient: rule.transient, message };
  if (statusCode !== undefined) close.statusCode = statusCode;
  return close;
}

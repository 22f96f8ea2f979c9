import type { EngineClose } from '../engine/index.ts';
import { SESSION_STATUSES, type SessionStatus, type StatusReason } from '../domain/index.ts';

/**
 * The session lifecycle as one explicit, pure transition table: (status × event) → next status + reason + effects.
 * The manager never decides a status on its own; it looks the pair up here and carries out the effects.
 * A pair that is not in the table is illegal and throws, so a bug shows up instead of being silently applied.
 * A pair mapped to IGNORE is legal and changes nothing (idempotent commands, QR rotation).
 *
 * docs/http-api.md "Where each event leads" is the specification; deviations are commented where they happen.
 */

/** Status before the instance exists. */
export const NEW = 'NEW' as const;
export type FromStatus = SessionStatus | typeof NEW;

export const LIFECYCLE_EVENTS = [
  // commands
  'create',
  'start',
  'restart',
  'stop',
  'logout',
  'boot',
  // cluster: this node took the instance over from a node that stopped renewing its lease (docs/multi-node.md)
  'node_lost',
  // engine
  'qr',
  'open',
  'identity_mismatch',
  'connection_lost',
  'device_removed',
  'connection_replaced',
  'qr_timeout',
  'certificate_invalid',
  'pairing_failed',
  'forbidden',
  // policy (decided by the manager from counters and timers)
  'retries_exhausted',
  'watchdog_expired',
  'watchdog_exhausted',
] as const;
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

/** What the manager does with the engine connection. */
export type SessionEffect =
  /** Leave the connection as it is. */
  | 'keep'
  /** End any current connection (credentials kept) and open a new one now. */
  | 'connect'
  /** End any current connection and open a new one after the backoff delay. */
  | 'reconnect_later'
  /** End any current connection (credentials kept). */
  | 'end'
  /** Unlink the device on WhatsApp (engine logout) when connected, then end. */
  | 'unlink'
  /** Unlink as above, then open a fresh connection (which shows a new QR). */
  | 'unlink_and_connect';

export interface Transition {
  to: SessionStatus;
  reason: StatusReason;
  session: SessionEffect;
  /** 'clear' wipes the stored WhatsApp credentials and Signal keys. */
  credentials: 'keep' | 'clear';
  /** save: from the live engine identity; stale: keep but mark disconnected; clear: forget who was linked. */
  identity: 'keep' | 'save' | 'stale' | 'clear';
}

export const IGNORE = 'ignore' as const;
export type TableEntry = Transition | typeof IGNORE;

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: FromStatus,
    readonly event: LifecycleEvent,
  ) {
    super(`illegal lifecycle transition: ${event} in ${from}`);
    this.name = 'IllegalTransitionError';
  }
}

const RUNNING = ['STARTING', 'SCAN_QR_CODE', 'WORKING'] as const;

type Row = Partial<Record<FromStatus, TableEntry>>;

function t(
  to: SessionStatus,
  reason: StatusReason,
  session: SessionEffect,
  credentials: Transition['credentials'] = 'keep',
  identity: Transition['identity'] = 'keep',
): Transition {
  return Object.freeze({ to, reason, session, credentials, identity });
}

function from(statuses: readonly FromStatus[], entry: TableEntry): Row {
  return Object.fromEntries(statuses.map((s) => [s, entry]));
}

/** The table. Rows are events, columns the status the instance is in. */
export const TRANSITIONS: Readonly<Record<LifecycleEvent, Row>> = Object.freeze({
  create: { NEW: t('STOPPED', 'created', 'keep') },

  // Idempotent on a running session: no reconnect (docs/http-api.md "Where each event leads").
  start: {
    ...from(['STOPPED', 'FAILED'], t('STARTING', 'start_requested', 'connect')),
    ...from(RUNNING, IGNORE),
  },
  // "stop then start with saved credentials"; from a running session we go straight to STARTING
  // (the stop half is not recorded: nobody asked to see STOPPED, and a watcher would misread it).
  restart: from(['STOPPED', 'FAILED', ...RUNNING], t('STARTING', 'restart_requested', 'connect', 'keep', 'stale')),
  // FAILED is not running, but stopping it is accepted and acknowledged as STOPPED (what the route promises).
  stop: {
    ...from([...RUNNING, 'FAILED'], t('STOPPED', 'stop_requested', 'end', 'keep', 'stale')),
    STOPPED: IGNORE,
  },
  // docs/http-api.md "Where each event leads": WORKING → SCAN_QR_CODE, logout_requested; credentials and identity cleared, fresh QR.
  // From the other statuses there is nothing live to unlink; we still clear and show a fresh QR, so
  // "logout" always means "forget this account and let me link another".
  logout: from(
    ['STOPPED', 'FAILED', ...RUNNING],
    t('SCAN_QR_CODE', 'logout_requested', 'unlink_and_connect', 'clear', 'clear'),
  ),
  // Server start: instances that were running resume from their stored credentials.
  boot: from(RUNNING, t('STARTING', 'boot_restore', 'connect', 'keep', 'stale')),
  // Another node's lease expired: its connection is gone (or about to be replaced by ours); resume from the stored
  // credentials here, saying why the instance is not WORKING meanwhile.
  node_lost: from(RUNNING, t('STARTING', 'node_lost', 'connect', 'keep', 'stale')),

  qr: {
    STARTING: t('SCAN_QR_CODE', 'qr_ready', 'keep'),
    SCAN_QR_CODE: IGNORE, // the engine rotates refs; the status does not change
  },
  open: from(['STARTING', 'SCAN_QR_CODE'], t('WORKING', 'connected', 'keep', 'keep', 'save')),
  // Checked on open, before WORKING is ever recorded, so a wrong account never looks usable.
  identity_mismatch: from(['STARTING', 'SCAN_QR_CODE'], t('STOPPED', 'identity_mismatch', 'unlink', 'clear', 'clear')),

  connection_lost: from(RUNNING, t('STARTING', 'connection_lost', 'reconnect_later', 'keep', 'stale')),
  retries_exhausted: from(RUNNING, t('FAILED', 'restart_limit', 'end', 'keep', 'stale')),
  device_removed: from(RUNNING, t('FAILED', 'device_removed', 'end', 'clear', 'clear')),
  connection_replaced: from(RUNNING, t('STOPPED', 'connection_replaced', 'end', 'keep', 'stale')),
  qr_timeout: from(['STARTING', 'SCAN_QR_CODE'], t('STOPPED', 'qr_timeout', 'end')),
  // Never retried: a wrong root or a forged pairing will not fix itself.
  certificate_invalid: from(RUNNING, t('FAILED', 'certificate_invalid', 'end', 'keep', 'stale')),
  // A pairing that failed half-way leaves unusable credentials behind; the next start shows a fresh QR.
  pairing_failed: from(['STARTING', 'SCAN_QR_CODE'], t('FAILED', 'pairing_failed', 'end', 'clear', 'clear')),
  forbidden: from(RUNNING, t('FAILED', 'forbidden', 'end', 'keep', 'stale')),

  // An attempt that produced neither QR nor open nor close in time. SCAN_QR_CODE appears only for the
  // fresh attempt after logout, which is recorded before its first QR arrives.
  watchdog_expired: from(['STARTING', 'SCAN_QR_CODE'], t('STARTING', 'start_timeout', 'reconnect_later')),
  watchdog_exhausted: from(['STARTING', 'SCAN_QR_CODE'], t('FAILED', 'start_timeout', 'end')),
});

/** Looks the pair up; throws IllegalTransitionError when the table has no entry. */
export function transition(status: FromStatus, event: LifecycleEvent): TableEntry {
  const entry = TRANSITIONS[event]?.[status];
  if (entry === undefined) throw new IllegalTransitionError(status, event);
  return entry;
}

/** Same as transition() but answers null instead of throwing (for callers that must not act on an illegal pair). */
export function tryTransition(status: FromStatus, event: LifecycleEvent): TableEntry | null {
  return TRANSITIONS[event]?.[status] ?? null;
}

/** Every status a session can be in before the event (for exhaustive tests and docs). */
export const ALL_FROM: readonly FromStatus[] = [NEW, ...SESSION_STATUSES];

/** Maps an engine close to the lifecycle event it stands for. */
export function closeEvent(close: EngineClose): LifecycleEvent {
  switch (close.reason) {
    case 'device_removed':
    case 'logged_out': // our own logout is never seen (the manager detaches first); if it is, the creds are gone
      return 'device_removed';
    case 'connection_replaced':
      return 'connection_replaced';
    case 'qr_timeout':
      return 'qr_timeout';
    case 'certificate_invalid':
      return 'certificate_invalid';
    case 'pairing_failed':
      return 'pairing_failed';
    case 'forbidden':
      return 'forbidden';
    case 'connection_lost':
    case 'stopped': // an end() we did not ask for: treat as a drop and reconnect
      return 'connection_lost';
  }
}

/**
 * Retry policy at the point of a transient failure: `failures` counts consecutive failed attempts including this
 * one; up to maxRestarts of them are retried, the next one gives up.
 */
export function retryOrGiveUp(
  event: 'connection_lost' | 'watchdog_expired',
  failures: number,
  maxRestarts: number,
): LifecycleEvent {
  if (failures <= maxRestarts) return event;
  return event === 'connection_lost' ? 'retries_exhausted' : 'watchdog_exhausted';
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL_FROM,
  IGNORE,
  IllegalTransitionError,
  LIFECYCLE_EVENTS,
  closeEvent,
  retryOrGiveUp,
  transition,
  tryTransition,
  type FromStatus,
  type LifecycleEvent,
} from '../../src/sessions/lifecycle.ts';
import type { EngineCloseReason } from '../../src/engine/index.ts';

/**
 * The expected table, written out independently of the implementation: for every event, the cell of each
 * status in the order NEW, STOPPED, STARTING, SCAN_QR_CODE, WORKING, FAILED.
 * "-" illegal, "=" legal no-op, else "TO/reason".
 */
const COLUMNS: FromStatus[] = ['NEW', 'STOPPED', 'STARTING', 'SCAN_QR_CODE', 'WORKING', 'FAILED'];
const L = '-';
const EXPECTED: Record<LifecycleEvent, string[]> = {
  create: ['STOPPED/created', L, L, L, L, L],
  start: [L, 'STARTING/start_requested', '=', '=', '=', 'STARTING/start_requested'],
  restart: [L, ...Array(5).fill('STARTING/restart_requested')],
  stop: [
    L,
    '=',
    'STOPPED/stop_requested',
    'STOPPED/stop_requested',
    'STOPPED/stop_requested',
    'STOPPED/stop_requested',
  ],
  logout: [L, ...Array(5).fill('SCAN_QR_CODE/logout_requested')],
  boot: [L, L, 'STARTING/boot_restore', 'STARTING/boot_restore', 'STARTING/boot_restore', L],
  node_lost: [L, L, 'STARTING/node_lost', 'STARTING/node_lost', 'STARTING/node_lost', L],
  qr: [L, L, 'SCAN_QR_CODE/qr_ready', '=', L, L],
  open: [L, L, 'WORKING/connected', 'WORKING/connected', L, L],
  identity_mismatch: [L, L, 'STOPPED/identity_mismatch', 'STOPPED/identity_mismatch', L, L],
  connection_lost: [L, L, ...Array(3).fill('STARTING/connection_lost'), L],
  retries_exhausted: [L, L, ...Array(3).fill('FAILED/restart_limit'), L],
  device_removed: [L, L, ...Array(3).fill('FAILED/device_removed'), L],
  connection_replaced: [L, L, ...Array(3).fill('STOPPED/connection_replaced'), L],
  qr_timeout: [L, L, 'STOPPED/qr_timeout', 'STOPPED/qr_timeout', L, L],
  certificate_invalid: [L, L, ...Array(3).fill('FAILED/certificate_invalid'), L],
  pairing_failed: [L, L, 'FAILED/pairing_failed', 'FAILED/pairing_failed', L, L],
  forbidden: [L, L, ...Array(3).fill('FAILED/forbidden'), L],
  watchdog_expired: [L, L, 'STARTING/start_timeout', 'STARTING/start_timeout', L, L],
  watchdog_exhausted: [L, L, 'FAILED/start_timeout', 'FAILED/start_timeout', L, L],
};

test('every (status × event) pair matches the specified table, and illegal pairs throw', () => {
  assert.deepEqual(new Set(ALL_FROM), new Set(COLUMNS));
  assert.deepEqual(Object.keys(EXPECTED).sort(), [...LIFECYCLE_EVENTS].sort());
  let cells = 0;
  for (const event of LIFECYCLE_EVENTS) {
    COLUMNS.forEach((status, i) => {
      cells++;
      const want = EXPECTED[event][i];
      const where = `${event} in ${status}`;
      if (want === L) {
        assert.throws(() => transition(status, event), IllegalTransitionError, where);
        assert.equal(tryTransition(status, event), null, where);
        return;
      }
      const got = transition(status, event);
      if (want === '=') {
        assert.equal(got, IGNORE, where);
        return;
      }
      assert.notEqual(got, IGNORE, where);
      if (got === IGNORE) return;
      assert.equal(`${got.to}/${got.reason}`, want, where);
    });
  }
  assert.equal(cells, LIFECYCLE_EVENTS.length * COLUMNS.length);
});

test('illegal transition error names the pair', () => {
  const err = (() => {
    try {
      transition('STOPPED', 'open');
    } catch (e) {
      return e;
    }
    return null;
  })();
  assert.ok(err instanceof IllegalTransitionError);
  assert.equal(err.from, 'STOPPED');
  assert.equal(err.event, 'open');
  assert.match(err.message, /open in STOPPED/);
});

function effects(status: FromStatus, event: LifecycleEvent): string {
  const t = transition(status, event);
  assert.notEqual(t, IGNORE);
  if (t === IGNORE) return '';
  return `${t.session} creds:${t.credentials} identity:${t.identity}`;
}

test('effects: what happens to the connection, the credentials and the identity', () => {
  assert.equal(effects('STOPPED', 'start'), 'connect creds:keep identity:keep');
  assert.equal(effects('WORKING', 'restart'), 'connect creds:keep identity:stale');
  assert.equal(effects('WORKING', 'stop'), 'end creds:keep identity:stale');
  // logout: unlink, clear credentials and identity, fresh QR
  assert.equal(effects('WORKING', 'logout'), 'unlink_and_connect creds:clear identity:clear');
  assert.equal(effects('WORKING', 'boot'), 'connect creds:keep identity:stale');
  assert.equal(effects('STARTING', 'qr'), 'keep creds:keep identity:keep');
  assert.equal(effects('SCAN_QR_CODE', 'open'), 'keep creds:keep identity:save');
  assert.equal(effects('SCAN_QR_CODE', 'identity_mismatch'), 'unlink creds:clear identity:clear');
  // transient loss: keep credentials, reconnect with backoff
  assert.equal(effects('WORKING', 'connection_lost'), 'reconnect_later creds:keep identity:stale');
  assert.equal(effects('STARTING', 'retries_exhausted'), 'end creds:keep identity:stale');
  // unlinked by the phone: credentials are dead
  assert.equal(effects('WORKING', 'device_removed'), 'end creds:clear identity:clear');
  assert.equal(effects('WORKING', 'connection_replaced'), 'end creds:keep identity:stale');
  assert.equal(effects('SCAN_QR_CODE', 'qr_timeout'), 'end creds:keep identity:keep');
  // never retried
  assert.equal(effects('STARTING', 'certificate_invalid'), 'end creds:keep identity:stale');
  assert.equal(effects('SCAN_QR_CODE', 'pairing_failed'), 'end creds:clear identity:clear');
  assert.equal(effects('STARTING', 'watchdog_expired'), 'reconnect_later creds:keep identity:keep');
  assert.equal(effects('STARTING', 'watchdog_exhausted'), 'end creds:keep identity:keep');
});

test('no transition into a running status without a connection effect, none out of one that keeps it open', () => {
  for (const event of LIFECYCLE_EVENTS) {
    for (const status of ALL_FROM) {
      const t = tryTransition(status, event);
      if (t === null || t === IGNORE) continue;
      const where = `${event} in ${status}`;
      if (t.to === 'STOPPED' || t.to === 'FAILED') {
        // Leaving the running states always tears the connection down (except create, which never had one).
        if (event !== 'create') assert.ok(['end', 'unlink'].includes(t.session), where);
      }
      if (t.to === 'STARTING') assert.ok(['connect', 'reconnect_later'].includes(t.session), where);
      if (t.credentials === 'clear') assert.equal(t.identity, 'clear', where);
    }
  }
});

test('engine close reasons map to lifecycle events', () => {
  const cases: Array<[EngineCloseReason, LifecycleEvent]> = [
    ['device_removed', 'device_removed'],
    ['logged_out', 'device_removed'],
    ['connection_replaced', 'connection_replaced'],
    ['qr_timeout', 'qr_timeout'],
    ['connection_lost', 'connection_lost'],
    ['stopped', 'connection_lost'],
    ['certificate_invalid', 'certificate_invalid'],
    ['pairing_failed', 'pairing_failed'],
    ['forbidden', 'forbidden'],
  ];
  for (const [reason, event] of cases) {
    assert.equal(closeEvent({ reason, transient: false, message: '' }), event, reason);
  }
});

test('retry policy: up to maxRestarts consecutive failures are retried, the next gives up', () => {
  assert.equal(retryOrGiveUp('connection_lost', 1, 5), 'connection_lost');
  assert.equal(retryOrGiveUp('connection_lost', 5, 5), 'connection_lost');
  assert.equal(retryOrGiveUp('connection_lost', 6, 5), 'retries_exhausted');
  assert.equal(retryOrGiveUp('watchdog_expired', 5, 5), 'watchdog_expired');
  assert.equal(retryOrGiveUp('watchdog_expired', 6, 5), 'watchdog_exhausted');
  assert.equal(retryOrGiveUp('connection_lost', 1, 0), 'retries_exhausted');
});

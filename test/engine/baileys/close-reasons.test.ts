import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeError, mapDisconnect } from '../../../src/engine/baileys/close-reasons.ts';
import type { EngineCloseReason } from '../../../src/engine/index.ts';

/** The shape Baileys' Boom errors have (lib/Socket/socket.js builds them with `new Boom(message, { statusCode })`). */
function boom(message: string, statusCode?: number): Error {
  return Object.assign(new Error(message), { isBoom: true, output: { statusCode: statusCode ?? 500 } });
}

type Row = [label: string, error: unknown, pairing: boolean, reason: EngineCloseReason, transient: boolean];

// Every row is a case from docs/whatsapp-protocol.md §8 / §13.6, with the message Baileys actually produces.
const TABLE: Row[] = [
  ['401 failure (unknown device)', boom('Connection Failure', 401), false, 'device_removed', false],
  ['401 stream error device_removed', boom('Stream Errored (conflict)', 401), false, 'device_removed', false],
  ['401 from Baileys logout', boom('Intentional Logout', 401), false, 'device_removed', false],
  ['419', boom('Connection Failure', 419), false, 'device_removed', false],
  ['440 replaced', boom('Stream Errored (conflict)', 440), false, 'connection_replaced', false],
  ['408 QR refs ended', boom('QR refs attempts ended', 408), true, 'qr_timeout', false],
  ['408 keep-alive lost', boom('Connection was lost', 408), false, 'connection_lost', true],
  [
    '408 ECONNREFUSED (Baileys maps E* codes to 408)',
    boom('WebSocket Error (connect ECONNREFUSED 127.0.0.1:9)', 408),
    false,
    'connection_lost',
    true,
  ],
  [
    '408 unreachable while pairing',
    boom('WebSocket Error (connect ECONNREFUSED 127.0.0.1:9)', 408),
    true,
    'connection_lost',
    true,
  ],
  ['428 closed', boom('Connection Terminated', 428), false, 'connection_lost', true],
  ['428 xmlstreamend', boom('Connection Terminated by Server', 428), true, 'connection_lost', true],
  ['503', boom('Stream Errored (unknown)', 503), false, 'connection_lost', true],
  [
    '502 upgrade refused',
    boom('WebSocket Error (Unexpected server response: 502)', 502),
    false,
    'connection_lost',
    true,
  ],
  ['500 stream error once linked', boom('Stream Errored (unknown)', 500), false, 'connection_lost', true],
  ['500 stream error while pairing', boom('Stream Errored (unknown)', 500), true, 'pairing_failed', true],
  ['400 certification match failed', boom('certification match failed', 400), true, 'certificate_invalid', false],
  [
    '400 intermediate signature',
    boom('noise intermediate certificate signature invalid', 400),
    false,
    'certificate_invalid',
    false,
  ],
  ['400 leaf signature', boom('noise certificate signature invalid', 400), false, 'certificate_invalid', false],
  ['400 missing leaf', boom('invalid noise leaf certificate', 400), false, 'certificate_invalid', false],
  ['400 something else', boom('Connection Failure', 400), false, 'connection_lost', true],
  ['500 Invalid account signature (bad HMAC)', boom('Invalid account signature'), true, 'pairing_failed', true],
  [
    '500 Failed to verify account signature (forged)',
    boom('Failed to verify account signature'),
    true,
    'pairing_failed',
    true,
  ],
  [
    'TypeError in pair-success (no status code)',
    new TypeError("Cannot read properties of null (reading 'toString')"),
    true,
    'pairing_failed',
    true,
  ],
  ['plain error once linked', new Error('boom'), false, 'connection_lost', true],
  ['403 forbidden', boom('Connection Failure', 403), false, 'forbidden', false],
  ['411 multidevice mismatch', boom('Multi-device beta not joined', 411), false, 'connection_lost', true],
  ['515 over the restart budget', boom('Stream Errored (restart required)', 515), false, 'connection_lost', true],
  ['no error at all', undefined, false, 'connection_lost', true],
];

for (const [label, error, pairing, reason, transient] of TABLE) {
  test(`close mapping: ${label}`, () => {
    const close = mapDisconnect(error, { pairing });
    assert.equal(close.reason, reason);
    assert.equal(close.transient, transient);
    assert.equal(typeof close.message, 'string');
    assert.ok(close.message.length > 0);
  });
}

test('close mapping keeps the status code and message', () => {
  const close = mapDisconnect(boom('QR refs attempts ended', 408), { pairing: true });
  assert.deepEqual(close, {
    reason: 'qr_timeout',
    transient: false,
    statusCode: 408,
    message: 'QR refs attempts ended',
  });
  const noCode = mapDisconnect(new Error('x'), { pairing: false });
  assert.equal('statusCode' in noCode, false);
});

test('describeError tolerates non-errors', () => {
  assert.deepEqual(describeError(undefined), { statusCode: undefined, message: 'connection closed' });
  assert.deepEqual(describeError('weird'), { statusCode: undefined, message: 'weird' });
  assert.deepEqual(describeError({ output: { statusCode: Number.NaN }, message: 'm' }), {
    statusCode: undefined,
    message: 'm',
  });
});

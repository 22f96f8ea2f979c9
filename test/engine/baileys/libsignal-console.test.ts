import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { isLibsignalLine, quietLibsignal } from '../../../src/engine/baileys/libsignal-console.ts';

/** libsignal's "Closing session:" line carries a session record with private keys: it must never reach stdout. */
test('libsignal lines become debug log entries without their objects; other console output passes through', () => {
  const printed: unknown[][] = [];
  const target = {
    log: (...a: unknown[]) => printed.push(['log', ...a]),
    info: (...a: unknown[]) => printed.push(['info', ...a]),
    warn: (...a: unknown[]) => printed.push(['warn', ...a]),
    error: (...a: unknown[]) => printed.push(['error', ...a]),
  };
  let logged = '';
  const sink = new Writable({ write: (chunk, _enc, done) => ((logged += chunk), done()) });
  const logger = pino({ level: 'debug' }, sink);
  quietLibsignal(logger, target);
  quietLibsignal(logger, target); // idempotent: not wrapped twice

  const secret = Buffer.from('private-key-material-0123456789ab');
  target.info('Closing session:', { currentRatchet: { ephemeralKeyPair: { privKey: secret } } });
  target.warn('Closing open session in favor of incoming prekey bundle');
  target.error('Session error:Error: Bad MAC', 'stack…');
  assert.deepEqual(printed, [], 'nothing of libsignal reaches the console');
  assert.equal(logged.split('\n').filter(Boolean).length, 3);
  assert.ok(!logged.includes(secret.toString()) && !logged.includes('privKey'), 'the session object is dropped');

  target.info('an unrelated line', 42);
  target.error(new Error('boom'));
  assert.equal(printed.length, 2);
  assert.deepEqual(printed[0], ['info', 'an unrelated line', 42]);
  assert.equal(isLibsignalLine('Closing session: x'), true);
  assert.equal(isLibsignalLine({ toString: () => 'Closing session:' }), false);
});

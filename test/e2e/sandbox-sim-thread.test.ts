import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startSimulator } from '../../sim/index.ts';
import { capturedLogger, newPhone, startGateway } from '../harness/gateway.ts';

/**
 * Sandbox mode runs the embedded simulator in its own worker thread: a pairing through /sandbox/scan reaches WORKING,
 * the simulator's log lines reach the gateway's logger, and this (the HTTP) thread never loaded the simulator's
 * protocol side. Each thread has its own CommonJS cache, and libsignal comes with `baileys`, which the simulator's
 * server imports (the engine runs in threads too, engineThreads 1); the control at the end starts a simulator in this
 * thread and sees libsignal appear. A file of its own: a module cache, once filled, stays filled.
 */

const libsignalLoadedHere = () =>
  Object.keys(createRequire(import.meta.url).cache).some((path) => /[\\/]node_modules[\\/]libsignal[\\/]/.test(path));

test('sandbox: the embedded simulator runs in a worker thread; /sandbox pairing works through it', async (t) => {
  const { logger, lines } = capturedLogger('debug');
  const gw = await startGateway({ logger, config: { engineThreads: 1 } });
  t.after(() => gw.close());
  const i = await gw.newInstance('threaded-sim');
  const phone = newPhone();
  await i.call('POST', '/v2/session/start');
  const scanned = await gw.admin('POST', '/sandbox/scan', { qr: await i.qr(), phone, push_name: 'Thread' });
  assert.equal(scanned.status, 200, String(scanned.raw));
  await i.waitStatus('WORKING', 'connected');
  const phones = await gw.admin('GET', '/sandbox/phones');
  assert.equal(phones.body.find((p: { phone: string }) => p.phone === phone)?.devices.length, 1);
  assert.ok(
    lines.some((l) => l.module === 'sim' && l.msg === 'logged in'),
    "the simulator's lines reach the gateway's logger",
  );
  const unknown = await gw.admin('POST', '/sandbox/scan', { qr: 'nope', phone });
  assert.equal(unknown.status, 400, 'a SimError crosses the thread with its code');

  assert.equal(libsignalLoadedHere(), false, 'the HTTP thread never loaded the simulator (nor Baileys)');
  const here = await startSimulator();
  await here.stop();
  assert.equal(libsignalLoadedHere(), true, 'control: a simulator in this thread shows in its module cache');
});

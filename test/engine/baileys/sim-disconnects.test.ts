import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Curve } from 'baileys';
import type { Simulator } from '../../../sim/index.ts';
import type { Engine } from '../../../src/engine/index.ts';
import { createBaileysEngine } from '../../../src/engine/baileys/index.ts';
import { strictVerify } from '../../../src/engine/baileys/trust.ts';
import { delay, endAll, engineFor, eventually, newPhone, Recorder, silent, startSim } from './fixtures/harness.ts';
import { MemoryAuth } from './fixtures/memory-auth.ts';
import type { AuthKeyValue } from '../../../src/domain/index.ts';

// How sessions end, against the local simulator: each case maps to one close reason (close-reasons.ts).

let sim: Simulator;
before(async () => {
  sim = await startSim();
});
afterEach(async () => {
  sim.faults.ignorePings = false;
  sim.faults.refuseConnections = false;
  sim.faults.foreignRoot = false;
  sim.faults.clear();
  await endAll();
});
after(async () => {
  await sim?.stop();
});

let n = 0;
async function paired(engine: Engine, auth: AuthKeyValue = new MemoryAuth()) {
  const phone = newPhone();
  const s = engine.start({ instanceId: `disc${++n}`, auth });
  const r = new Recorder(s);
  await sim.scan({ qr: (await r.next('qr')).value, phone, pushName: null, platform: 'android', businessName: 'Biz' });
  await r.next('open');
  return { s, r, phone, auth };
}

const connected = (phone: string) => sim.listPhones().find((p) => p.phone === phone)?.devices[0]?.connected === true;

/** The close happened once and nothing follows it. */
async function closedOnce(r: Recorder) {
  const close = await r.next('close', 10_000);
  const count = r.events.length;
  await delay(200);
  assert.equal(r.events.length, count, 'no events after close');
  assert.equal(r.count('close'), 1);
  assert.equal(r.names().at(-1), 'close');
  return close;
}

test('the phone unlinks the device → device_removed (credentials dead)', async () => {
  const { r, phone } = await paired(engineFor(sim));
  assert.equal(await sim.unlink(phone), 1);
  const close = await closedOnce(r);
  assert.equal(close.reason, 'device_removed');
  assert.equal(close.transient, false);
  assert.equal(close.statusCode, 401);
});

test('the same credentials connect elsewhere → connection_replaced', async () => {
  const { r, phone } = await paired(engineFor(sim));
  assert.equal(await sim.disconnect(phone, 'conflict'), 1);
  const close = await closedOnce(r);
  assert.deepEqual([close.reason, close.transient, close.statusCode], ['connection_replaced', false, 440]);
});

test('the connection drops → connection_lost (transient); nothing is written after the close', async () => {
  const auth = new MemoryAuth();
  const { r, phone } = await paired(engineFor(sim), auth);
  await sim.disconnect(phone, 'drop');
  const close = await closedOnce(r);
  assert.deepEqual([close.reason, close.transient], ['connection_lost', true]);
  const batches = auth.batches.length;
  await delay(300);
  assert.equal(auth.batches.length, batches);
});

test('515 restart while open is handled inside: same session, reconnected, no events', async () => {
  const { s, r, phone } = await paired(engineFor(sim));
  const before = r.events.length;
  await eventually(() => connected(phone), 3_000, 'connected');
  assert.equal(await sim.disconnect(phone, 'restart'), 1);
  await delay(100);
  await eventually(() => connected(phone), 5_000, 'reconnected after 515');
  await delay(200);
  assert.equal(r.events.length, before, 'no open/close for the silent restart');
  assert.equal(s.identity()?.phone, phone);
  // ...and the new socket is the live one: a later drop still reaches us.
  await sim.disconnect(phone, 'drop');
  assert.equal((await closedOnce(r)).reason, 'connection_lost');
});

test('pings unanswered with a short keep-alive → connection_lost', async () => {
  const { r } = await paired(engineFor(sim, { keepAliveIntervalMs: 300 }));
  sim.faults.ignorePings = true;
  const close = await closedOnce(r);
  assert.deepEqual([close.reason, close.transient, close.statusCode], ['connection_lost', true, 408]);
});

test('connections refused → connection_lost, no QR', async () => {
  sim.faults.refuseConnections = true;
  const s = engineFor(sim, { connectTimeoutMs: 2_000 }).start({ instanceId: 'refused', auth: new MemoryAuth() });
  const r = new Recorder(s);
  const close = await closedOnce(r);
  assert.deepEqual([close.reason, close.transient], ['connection_lost', true]);
  assert.deepEqual(r.names(), ['close']);
});

test('nothing listening at all (ECONNREFUSED) → connection_lost', async () => {
  const engine = createBaileysEngine({
    waUrl: 'ws://127.0.0.1:9/ws/chat',
    rootPublicKey: sim.rootPublicKey,
    logger: silent,
  });
  const s = engine.start({ instanceId: 'nowhere', auth: new MemoryAuth() });
  const r = new Recorder(s);
  const close = await closedOnce(r);
  assert.deepEqual([close.reason, close.transient], ['connection_lost', true]);
  assert.match(close.message, /ECONNREFUSED/);
});

test('QR never scanned with a short qrTimeout → qr_timeout after the refs run out', async () => {
  const s = engineFor(sim, { qrTimeoutMs: 150 }).start({ instanceId: 'qrt', auth: new MemoryAuth() });
  const r = new Recorder(s);
  const first = await r.next('qr');
  assert.ok(first.expiry - Date.now() <= 150 && first.expiry - Date.now() > 50);
  const close = await closedOnce(r);
  assert.deepEqual([close.reason, close.transient, close.statusCode], ['qr_timeout', false, 408]);
  const qrs = r.all('qr');
  assert.ok(qrs.length >= 2, 'the QR rotated');
  assert.equal(new Set(qrs.map((q) => q.value)).size, qrs.length, 'every rotation is a new ref');
});

test('a certificate chain signed by a foreign root → certificate_invalid (the Curve fix at work)', async () => {
  sim.faults.foreignRoot = true;
  const s = engineFor(sim).start({ instanceId: 'mitm', auth: new MemoryAuth() });
  const r = new Recorder(s);
  const close = await closedOnce(r);
  assert.deepEqual([close.reason, close.transient, close.statusCode], ['certificate_invalid', false, 400]);
  assert.deepEqual(r.names(), ['close'], 'no QR from an untrusted server');

  // With a verify that behaves like Baileys rc14's (true for any well-formed input) Baileys' own checks pass the
  // same chain; the complete check of trust.ts still refuses it, with its own reason.
  Curve.verify = () => true;
  try {
    const s2 = engineFor(sim).start({ instanceId: 'mitm2', auth: new MemoryAuth() });
    const r2 = new Recorder(s2);
    const close2 = await closedOnce(r2);
    assert.equal(close2.reason, 'certificate_invalid');
    assert.match(close2.message, /server certificate refused: intermediate certificate not signed by the trusted root/);
  } finally {
    Curve.verify = strictVerify;
  }
});

test('the complete server check with unmodified Baileys: a static key that is not the leaf key, or an expired leaf → certificate_invalid; the genuine chain opens', async () => {
  for (const [fault, why] of [
    [
      'cert_key_mismatch',
      /server certificate refused: leaf certificate key does not match the server's Noise static key/,
    ],
    ['cert_expired', /server certificate refused: leaf certificate expired at /],
  ] as const) {
    sim.faults.inject({ fault, connections: 1 });
    const s = engineFor(sim).start({ instanceId: `bad-${fault}`, auth: new MemoryAuth() });
    const r = new Recorder(s);
    const close = await closedOnce(r);
    assert.deepEqual([close.reason, close.transient, close.statusCode], ['certificate_invalid', false, 400], fault);
    assert.match(close.message, why);
    assert.deepEqual(r.names(), ['close'], 'no QR from an untrusted server');
  }
  assert.deepEqual(sim.faults.pending, []);
  // The same simulator with its genuine chain: pairs and opens.
  const { r } = await paired(engineFor(sim));
  assert.equal(r.count('open'), 1);
});

test('end() while connecting and end() twice: one stopped close', async () => {
  const s = engineFor(sim).start({ instanceId: 'early', auth: new MemoryAuth() });
  const r = new Recorder(s);
  await Promise.all([s.end(), s.end()]);
  assert.deepEqual(r.names(), ['close']);
  assert.equal(r.all('close')[0]!.reason, 'stopped');
});

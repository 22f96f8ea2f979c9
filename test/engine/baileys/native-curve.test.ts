import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Curve } from 'baileys';
import { createRequire } from 'node:module';
import { generateKeyPair, sharedKey, useNativeCurve } from '../../../src/engine/baileys/native-curve.ts';
import { applyTrust } from '../../../src/engine/baileys/trust.ts';

/**
 * native-curve.ts against libsignal 6's own curve functions (what Baileys' Curve calls as shipped): the same keys,
 * the same shared secrets, the same refusals.
 */

/** libsignal's curve module as Baileys loads it (CommonJS). */
const libsignal = createRequire(import.meta.url)('libsignal/src/curve.js') as {
  generateKeyPair(): { pubKey: Buffer; privKey: Buffer };
  getPublicFromPrivateKey(privateKey: Buffer): Buffer;
  calculateAgreement(publicKey: Buffer, privateKey: Buffer): Buffer;
};

const prefixed = (pub: Uint8Array) => Buffer.concat([Buffer.from([5]), pub]);

test("the shared secret is libsignal's, for raw and 0x05-prefixed public keys", () => {
  for (let i = 0; i < 100; i++) {
    const mine = libsignal.generateKeyPair();
    const peer = libsignal.generateKeyPair();
    const expected = libsignal.calculateAgreement(peer.pubKey, mine.privKey);
    assert.deepEqual(sharedKey(mine.privKey, peer.pubKey), expected);
    assert.deepEqual(sharedKey(mine.privKey, peer.pubKey.subarray(1)), expected);
  }
});

test('key pairs as libsignal makes them: its public key for the private one, clamped, agreeing both ways', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const pair = generateKeyPair();
    assert.ok(Buffer.isBuffer(pair.private) && Buffer.isBuffer(pair.public));
    assert.equal(pair.private.length, 32);
    assert.deepEqual(prefixed(pair.public), libsignal.getPublicFromPrivateKey(pair.private));
    assert.equal(pair.private[0]! & 7, 0, 'clamped: low bits clear');
    assert.equal(pair.private[31]! & 0xc0, 0x40, 'clamped: top bit clear, next one set');
    const peer = libsignal.generateKeyPair();
    assert.deepEqual(
      sharedKey(pair.private, peer.pubKey),
      libsignal.calculateAgreement(prefixed(pair.public), peer.privKey),
    );
    seen.add(pair.private.toString('hex'));
  }
  assert.equal(seen.size, 200);
});

/**
 * Node 20's `generateKeyPairSync` followed by a JWK export deadlocks at random (native-curve.ts); a loop of 100,000
 * of those hung within the first 50,000 in every run here. This generator must get through the same loop, in a
 * process of its own that is killed if it stops making progress.
 */
test('100,000 key pairs in a row never hang their thread', async () => {
  const script = `
    const { generateKeyPair } = await import(${JSON.stringify(new URL('../../../src/engine/baileys/native-curve.ts', import.meta.url).href)});
    const keep = [];
    for (let i = 0; i < 100000; i++) {
      keep.push(generateKeyPair());
      if (keep.length > 812) keep.length = 0;
    }
    process.stdout.write('done');
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise((resolve) => child.once('exit', (c, signal) => resolve(c ?? signal)));
  clearTimeout(killer);
  assert.equal(code, 0, 'the generator process hung (killed after 60 s) or failed');
  assert.equal(out, 'done');
});

test('refusals: a low-order public key, wrong sizes, a private key that is not a Buffer', () => {
  const mine = libsignal.generateKeyPair();
  const zero = Buffer.alloc(32);
  assert.throws(() => libsignal.calculateAgreement(prefixed(zero), mine.privKey));
  assert.throws(() => sharedKey(mine.privKey, zero), /failed during derivation/);
  assert.throws(() => sharedKey(mine.privKey, randomBytes(31)), /Invalid public key/);
  assert.throws(
    () => sharedKey(mine.privKey, Buffer.concat([Buffer.from([6]), randomBytes(32)])),
    /Invalid public key/,
  );
  assert.throws(() => sharedKey(randomBytes(31), mine.pubKey), /Invalid private key/);
  assert.throws(() => sharedKey(new Uint8Array(mine.privKey), mine.pubKey), /Invalid private key/);
});

test("installed on Baileys' Curve (agreement and key pairs), idempotent, and still under applyTrust's wrapper", () => {
  useNativeCurve();
  useNativeCurve();
  assert.equal(Curve.sharedKey, sharedKey);
  assert.equal(Curve.generateKeyPair, generateKeyPair);
  applyTrust();
  assert.notEqual(Curve.sharedKey, sharedKey, 'trust wraps it (its server check)');
  const mine = libsignal.generateKeyPair();
  const peer = libsignal.generateKeyPair();
  assert.deepEqual(
    Curve.sharedKey(mine.privKey, peer.pubKey.subarray(1)),
    libsignal.calculateAgreement(peer.pubKey, mine.privKey),
  );
});

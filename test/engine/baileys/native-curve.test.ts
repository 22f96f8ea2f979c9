import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Curve } from 'baileys';
import { createRequire } from 'node:module';
import { sharedKey, useNativeCurve } from '../../../src/engine/baileys/native-curve.ts';
import { applyTrust } from '../../../src/engine/baileys/trust.ts';

/**
 * native-curve.ts against libsignal 6's own curve functions (what Baileys' Curve calls as shipped): the same keys,
 * the same shared secrets, the same refusals.
 */

/** libsignal's curve module as Baileys loads it (CommonJS). */
const libsignal = createRequire(import.meta.url)('libsignal/src/curve.js') as {
  generateKeyPair(): { pubKey: Buffer; privKey: Buffer };
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

test("installed on Baileys' Curve, idempotent, and still under applyTrust's wrapper", () => {
  useNativeCurve();
  useNativeCurve();
  assert.equal(Curve.sharedKey, sharedKey);
  applyTrust();
  assert.notEqual(Curve.sharedKey, sharedKey, 'trust wraps it (its server check)');
  const mine = libsignal.generateKeyPair();
  const peer = libsignal.generateKeyPair();
  assert.deepEqual(
    Curve.sharedKey(mine.privKey, peer.pubKey.subarray(1)),
    libsignal.calculateAgreement(peer.pubKey, mine.privKey),
  );
});

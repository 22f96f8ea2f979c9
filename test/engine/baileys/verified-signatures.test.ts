import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Curve } from 'baileys';
import { VerifiedSignatures } from '../../../src/engine/baileys/verified-signatures.ts';
import { strictVerify } from '../../../src/engine/baileys/trust.ts';

function counting(): { verify: typeof strictVerify; calls: () => number } {
  let calls = 0;
  return { verify: (k, m, s) => (calls++, strictVerify(k, m, s)), calls: () => calls };
}

test('a valid signature is verified once, then answered from memory; a forgery is verified every time', () => {
  const kp = Curve.generateKeyPair();
  const msg = Buffer.from('intermediate certificate details');
  const sig = Curve.sign(kp.private, msg);
  const forged = Buffer.from(sig);
  forged[10]! ^= 1;
  const memo = new VerifiedSignatures();
  const { verify, calls } = counting();
  assert.equal(memo.check(kp.public, msg, sig, verify), true);
  assert.equal(memo.check(kp.public, msg, sig, verify), true);
  assert.equal(calls(), 1, 'the second check of the same triple does not verify again');
  assert.equal(memo.check(kp.public, msg, forged, verify), false);
  assert.equal(memo.check(kp.public, msg, forged, verify), false);
  assert.equal(calls(), 3, 'a refused triple is never remembered');
  // Same signature, other message or other key: a different triple, verified (and refused).
  assert.equal(memo.check(kp.public, Buffer.from('other details'), sig, verify), false);
  assert.equal(memo.check(Curve.generateKeyPair().public, msg, sig, verify), false);
  assert.equal(memo.size, 1);
});

test('the memo keeps at most its capacity, forgetting the oldest first', () => {
  const kp = Curve.generateKeyPair();
  const memo = new VerifiedSignatures(2);
  const signed = ['a', 'b', 'c'].map((m) => ({ msg: Buffer.from(m), sig: Curve.sign(kp.private, Buffer.from(m)) }));
  const { verify, calls } = counting();
  for (const { msg, sig } of signed) assert.equal(memo.check(kp.public, msg, sig, verify), true);
  assert.equal(memo.size, 2);
  assert.equal(memo.check(kp.public, signed[2]!.msg, signed[2]!.sig, verify), true);
  assert.equal(calls(), 3, 'the newest is remembered');
  assert.equal(memo.check(kp.public, signed[0]!.msg, signed[0]!.sig, verify), true);
  assert.equal(calls(), 4, 'the oldest was forgotten and is verified again');
});

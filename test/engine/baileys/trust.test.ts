import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import {
  Curve,
  WA_ADV_ACCOUNT_SIG_PREFIX,
  WA_CERT_DETAILS,
  configureSuccessfulPairing,
  initAuthCreds,
  proto,
  type BinaryNode,
} from 'baileys';
import { Curve as DeepCurve } from 'baileys/lib/Utils/crypto.js';
import { WA_CERT_DETAILS as DeepCertDetails } from 'baileys/lib/Defaults/index.js';
import { applyTrust, isTrustApplied, strictVerify } from '../../../src/engine/baileys/trust.ts';

// One process per test file (node:test), so the order below is real: first the hole, then the fix.

const REAL_ROOT = Buffer.from('142375574d0a587166aae71ebe516437c4a28b73e3695c6ce1f7f9545da8ee6b', 'hex');

function flipBit(buf: Uint8Array): Buffer {
  const out = Buffer.from(buf);
  out[5] = out[5]! ^ 0x01;
  return out;
}

/**
 * A pair-success stanza as the phone sends it (docs/whatsapp-protocol.md §5): correct HMAC with the companion's adv secret,
 * account signature made by `signer` (the account key itself, or a forger's key).
 */
function pairSuccess(creds: ReturnType<typeof initAuthCreds>, forge: boolean): BinaryNode {
  const account = Curve.generateKeyPair();
  const signer = forge ? Curve.generateKeyPair() : account;
  const details = proto.ADVDeviceIdentity.encode({
    rawId: 7,
    timestamp: 1_700_000_000,
    keyIndex: 1,
    accountType: 0,
    deviceType: 0,
  }).finish();
  const accountSignature = Curve.sign(
    signer.private,
    Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, details, creds.signedIdentityKey.public]),
  );
  const signed = proto.ADVSignedDeviceIdentity.encode({
    details,
    accountSignatureKey: account.public,
    accountSignature,
  }).finish();
  const hmac = createHmac('sha256', Buffer.from(creds.advSecretKey, 'base64')).update(signed).digest();
  const identity = proto.ADVSignedDeviceIdentityHMAC.encode({ details: signed, hmac, accountType: 0 }).finish();
  return {
    tag: 'iq',
    attrs: { id: 'p1', type: 'set', from: 's.whatsapp.net' },
    content: [
      {
        tag: 'pair-success',
        attrs: {},
        content: [
          { tag: 'device-identity', attrs: {}, content: Buffer.from(identity) },
          { tag: 'device', attrs: { jid: '201012345678:1@s.whatsapp.net', lid: '123456789012345:1@lid' } },
          { tag: 'platform', attrs: { name: 'android' } },
        ],
      },
    ],
  };
}

test('before the fix: Baileys accepts a bad signature (the hole we close)', () => {
  assert.equal(isTrustApplied(), false);
  const kp = Curve.generateKeyPair();
  const msg = randomBytes(40);
  const sig = Curve.sign(kp.private, msg);
  assert.equal(Curve.verify(kp.public, msg, flipBit(sig)), true, 'rc14 verify returns true for any well-formed input');
  // ...and therefore a forged account signature at pairing goes through.
  const creds = initAuthCreds();
  assert.doesNotThrow(() => configureSuccessfulPairing(pairSuccess(creds, true), creds));
});

test("after applyTrust: Curve.verify is libsignal's real boolean", () => {
  applyTrust();
  assert.equal(isTrustApplied(), true);
  const kp = Curve.generateKeyPair();
  const msg = randomBytes(40);
  const sig = Curve.sign(kp.private, msg);
  assert.equal(Curve.verify(kp.public, msg, sig), true);
  assert.equal(Curve.verify(kp.public, msg, flipBit(sig)), false, 'flipped signature bit');
  assert.equal(Curve.verify(kp.public, flipBit(msg), sig), false, 'flipped message bit');
  assert.equal(Curve.verify(Curve.generateKeyPair().public, msg, sig), false, 'other key');
  assert.equal(Curve.verify(kp.public, msg, sig.subarray(0, 63)), false, 'short signature');
  assert.equal(Curve.verify(kp.public.subarray(0, 31), msg, sig), false, 'short key');
  // A 33-byte 0x05-prefixed key is what libsignal itself uses; it must verify too.
  assert.equal(strictVerify(Buffer.concat([Buffer.from([5]), kp.public]), msg, sig), true);
});

test("Baileys' internal modules see the same, fixed Curve object", () => {
  assert.equal(DeepCurve, Curve);
  assert.equal(DeepCurve.verify, strictVerify);
  // validate-connection.js (pairing) now refuses a forged account signature and still accepts a genuine one.
  const creds = initAuthCreds();
  assert.throws(
    () => configureSuccessfulPairing(pairSuccess(creds, true), creds),
    /Failed to verify account signature/,
  );
  const ok = configureSuccessfulPairing(pairSuccess(creds, false), creds);
  assert.equal(ok.creds.me?.id, '201012345678:1@s.whatsapp.net');
  assert.equal(ok.creds.platform, 'android');
});

test("root override: WhatsApp's key by default, the given key otherwise, seen by Baileys' Defaults module", () => {
  assert.deepEqual(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY), REAL_ROOT);
  const simRoot = Buffer.from(Curve.generateKeyPair().public);
  assert.deepEqual(applyTrust({ rootPublicKey: simRoot }), { rootChanged: false });
  assert.equal(DeepCertDetails, WA_CERT_DETAILS);
  assert.deepEqual(Buffer.from(DeepCertDetails.PUBLIC_KEY), Buffer.from(simRoot));
  // Applying again is harmless; a different custom root is reported.
  assert.deepEqual(applyTrust({ rootPublicKey: simRoot }), { rootChanged: false });
  assert.deepEqual(applyTrust({ rootPublicKey: Buffer.from(Curve.generateKeyPair().public) }), { rootChanged: true });
  applyTrust();
  assert.deepEqual(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY), REAL_ROOT);
  assert.throws(() => applyTrust({ rootPublicKey: Buffer.alloc(31) }), RangeError);
  assert.equal(Curve.verify, strictVerify, 'verify stays patched');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Curve, proto } from 'baileys';
import { checkServerCertificate } from '../../../src/engine/baileys/server-cert.ts';
import { strictVerify } from '../../../src/engine/baileys/trust.ts';

// The complete server check as a pure function: every way a chain can be wrong, one at a time (protocol notes §3).

const DAY = 86_400;
const NOW = Date.UTC(2026, 10, 26) / 1000;
const root = Curve.generateKeyPair();
const inter = Curve.generateKeyPair();
const server = Curve.generateKeyPair();

interface Tweak {
  midNotAfter?: number;
  leafNotBefore?: number;
  leafNotAfter?: number;
  leafIssuer?: number;
  midIssuer?: number;
  leafKey?: Uint8Array;
  signMidWith?: Uint8Array;
  signLeafWith?: Uint8Array;
}

function chain(t: Tweak = {}): proto.ICertChain {
  const mid = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 1,
    issuerSerial: t.midIssuer ?? 0,
    key: inter.public,
    notBefore: NOW - DAY,
    notAfter: t.midNotAfter ?? NOW + 365 * DAY,
  }).finish();
  const leaf = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 2,
    issuerSerial: t.leafIssuer ?? 1,
    key: t.leafKey ?? server.public,
    notBefore: t.leafNotBefore ?? NOW - DAY,
    notAfter: t.leafNotAfter ?? NOW + 30 * DAY,
  }).finish();
  // Round trip through the wire form, as the handshake sees it (uint64 dates come back as Long).
  const encoded = proto.CertChain.encode({
    intermediate: { details: mid, signature: Curve.sign(t.signMidWith ?? root.private, mid) },
    leaf: { details: leaf, signature: Curve.sign(t.signLeafWith ?? inter.private, leaf) },
  }).finish();
  return proto.CertChain.decode(encoded);
}

const check = (c: proto.ICertChain, serverStatic: Uint8Array = server.public) =>
  checkServerCertificate({
    chain: c,
    serverStatic,
    rootKey: root.public,
    rootSerial: 0,
    verify: strictVerify,
    nowMs: NOW * 1000,
  });

test('a genuine chain for the server static key passes', () => {
  assert.equal(check(chain()), null);
});

test('a genuine chain replayed with another static key is refused (whatsmeow\'s "cert key doesn\'t match decrypted static")', () => {
  assert.match(
    check(chain(), Curve.generateKeyPair().public) ?? '',
    /leaf certificate key does not match the server's Noise static key/,
  );
  assert.match(check(chain({ leafKey: Curve.generateKeyPair().public })) ?? '', /does not match/);
});

test('validity periods: an expired leaf, a leaf not yet valid and an expired intermediate are refused', () => {
  assert.match(check(chain({ leafNotAfter: NOW - 1 })) ?? '', /^leaf certificate expired at /);
  assert.match(check(chain({ leafNotBefore: NOW + 60 })) ?? '', /^leaf certificate not valid before /);
  assert.match(check(chain({ midNotAfter: NOW - 1 })) ?? '', /^intermediate certificate expired at /);
});

test('issuer serials: the leaf must name the intermediate, the intermediate the root', () => {
  assert.match(
    check(chain({ leafIssuer: 7 })) ?? '',
    /leaf certificate issued by serial 7, not by the intermediate \(1\)/,
  );
  assert.match(check(chain({ midIssuer: 3 })) ?? '', /intermediate certificate issued by serial 3, expected 0/);
});

test('signatures: intermediate by another root, leaf by another intermediate; missing parts', () => {
  const other = Curve.generateKeyPair();
  assert.match(check(chain({ signMidWith: other.private })) ?? '', /not signed by the trusted root/);
  assert.match(check(chain({ signLeafWith: other.private })) ?? '', /leaf certificate not signed by the intermediate/);
  assert.match(check({ leaf: chain().leaf }) ?? '', /incomplete/);
});

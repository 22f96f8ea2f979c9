import { createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { Curve } from 'baileys';
import { isTrustApplied } from './trust.ts';

/**
 * X25519 agreements for Baileys' `Curve.sharedKey` through Node's crypto with the raw keys carried as JWK (RFC 8037:
 * the same 32 bytes, base64url), instead of libsignal 6's route through PKCS#8/SPKI DER.
 *
 * Why: OpenSSL 3's DER decoders cost far more than the curve itself. Measured here with Node 20 / OpenSSL 3.0: an
 * agreement ~900 µs through DER, ~110 µs this way, and every Noise handshake (each connect and each restore) makes
 * three. Same shared secrets, same refusals: test/engine/baileys/native-curve.test.ts checks them against libsignal's
 * own function.
 *
 * Key generation is left as shipped, although it is where pairing spends its CPU (`generateKeyPairSync` with its DER
 * export: 56 % of the gateway's CPU while sessions paired, 812 pre-keys per registration; ~55 µs instead of 185–300
 * µs the same way): a `Curve.generateKeyPair` built like `sharedKey` below made sandbox pairings stall on a missing
 * app-state key (test/e2e/sandbox-restart.test.ts), for a reason not yet found.
 *
 * `Curve` is the plain mutable object every Baileys module calls through (the way trust.ts changes `verify`), so
 * replacing `sharedKey` changes every call site without editing node_modules. libsignal's own sessions (message
 * encryption) keep their code. Install before applyTrust(), which wraps `sharedKey`: if trust was applied first,
 * `sharedKey` is left as it is (correct, only slower) rather than unwrapping its server check.
 */

const INSTALLED = Symbol.for('switchboard.engine.nativeCurve');

/**
 * The X25519 shared secret, with libsignal's argument checks: the private key a 32-byte Buffer, the public key 32
 * bytes or 33 with the 0x05 type prefix. A low-order public key throws as OpenSSL refuses it (as libsignal's does).
 */
export function sharedKey(privateKey: Uint8Array, publicKey: Uint8Array): Buffer<ArrayBuffer> {
  if (!Buffer.isBuffer(privateKey) || privateKey.length !== 32) throw new Error('Invalid private key');
  let pub = publicKey;
  if (pub.length === 33 && pub[0] === 5) pub = pub.subarray(1);
  if (!(pub instanceof Uint8Array) || pub.length !== 32) throw new Error('Invalid public key');
  const secret = diffieHellman({
    privateKey: createPrivateKey({
      key: { kty: 'OKP', crv: 'X25519', d: privateKey.toString('base64url'), x: '' },
      format: 'jwk',
    }),
    publicKey: createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(pub.buffer, pub.byteOffset, 32).toString('base64url') },
      format: 'jwk',
    }),
  });
  return secret as Buffer<ArrayBuffer>;
}

/** Idempotent; call before applyTrust() (see above). */
export function useNativeCurve(): void {
  const curve = Curve as typeof Curve & { [INSTALLED]?: true };
  if (curve[INSTALLED]) return;
  if (!isTrustApplied()) curve.sharedKey = sharedKey;
  curve[INSTALLED] = true;
}

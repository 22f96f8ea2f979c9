import { createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';
import { Curve } from 'baileys';
import { isTrustApplied } from './trust.ts';

/**
 * X25519 for Baileys' `Curve` through Node's crypto with the raw keys carried as JWK (RFC 8037: the same 32 bytes,
 * base64url), instead of libsignal 6's route through PKCS#8/SPKI DER.
 *
 * Why: OpenSSL 3's DER codecs cost far more than the curve itself. Measured here with Node 20 / OpenSSL 3.0:
 * - an agreement ~900 µs through DER, ~110 µs this way; every Noise handshake (each connect and each restore) makes
 *   three;
 * - a key pair ~105 µs through `generateKeyPairSync` with its DER export, ~25 µs this way; a registration makes 812
 *   one-time pre-keys, which was 56 % of the gateway's CPU while sessions paired.
 * Same keys, same shared secrets, same refusals: test/engine/baileys/native-curve.test.ts checks them against
 * libsignal's own functions.
 *
 * Key generation never calls `generateKeyPairSync` followed by a JWK export: on Node 20 that deadlocks its thread at
 * random. The export holds the key's native mutex while it allocates; if that allocation triggers a GC which collects
 * the finished keygen job, the job's destructor takes the same mutex (seen with gdb: `~KeyGenJob` under
 * `ExportJWKEdKey`; a plain loop of the two hangs within 50,000 keys). Here the private key is 32 random bytes, clamped
 * as OpenSSL's keygen clamps them, and the public key is derived from it; no keygen job exists, and the private
 * KeyObject, the only other holder of that mutex, is kept alive until the export has returned.
 *
 * `Curve` is the plain mutable object every Baileys module calls through (the way trust.ts changes `verify`), so
 * replacing its functions changes every call site without editing node_modules. libsignal's own sessions (message
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
    privateKey: x25519PrivateKey(privateKey),
    publicKey: createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(pub.buffer, pub.byteOffset, 32).toString('base64url') },
      format: 'jwk',
    }),
  });
  return secret as Buffer<ArrayBuffer>;
}

/**
 * A new X25519 key pair as Baileys' Curve returns it: the 32-byte private key (clamped, as OpenSSL stores the keys
 * it generates) and the 32-byte public key without the 0x05 type prefix.
 */
export function generateKeyPair(): { private: Buffer<ArrayBuffer>; public: Buffer<ArrayBuffer> } {
  const priv = randomBytes(32);
  priv[0]! &= 248;
  priv[31]! &= 127;
  priv[31]! |= 64;
  const privateKey = x25519PrivateKey(priv);
  const x = createPublicKey(privateKey).export({ format: 'jwk' }).x;
  // Read after the export so the private KeyObject, which shares the key's native mutex, cannot be collected during it.
  if (!x || privateKey.asymmetricKeyType !== 'x25519') throw new Error('X25519 key generation failed');
  return { private: priv, public: Buffer.from(x, 'base64url') };
}

/** The raw 32-byte private key as a KeyObject, imported as JWK (`x` is not needed to import a private key). */
function x25519PrivateKey(raw: Buffer): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: raw.toString('base64url'), x: '' }, format: 'jwk' });
}

/** Idempotent; call before applyTrust() (see above). */
export function useNativeCurve(): void {
  const curve = Curve as typeof Curve & { [INSTALLED]?: true };
  if (curve[INSTALLED]) return;
  curve.generateKeyPair = generateKeyPair;
  if (!isTrustApplied()) curve.sharedKey = sharedKey;
  curve[INSTALLED] = true;
}

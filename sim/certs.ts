/**
 * Root key and Noise certificate chain (protocol doc section 3).
 *
 * The client checks: intermediate signed by WA_CERT_DETAILS.PUBLIC_KEY, leaf signed by the intermediate's key,
 * intermediate issuerSerial === 0. We cannot hold WhatsApp's real root private key, so the simulator has its own
 * root and the client overrides WA_CERT_DETAILS.PUBLIC_KEY with `rootPublicKey`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Curve, proto } from 'baileys';
import * as libsignalCurve from 'libsignal/src/curve.js';

export interface KeyPair {
  private: Buffer;
  public: Buffer; // 32 bytes, no 0x05 prefix (wire format)
}

/** Deterministic X25519/XEdDSA key pair from a seed: private = sha256(seed). Public = libsignal's derivation minus the 0x05 prefix. */
export function keyPairFromSeed(seed: string | Buffer): KeyPair {
  const priv = createHash('sha256').update(seed).digest();
  const pub33 = libsignalCurve.getPublicFromPrivateKey(priv) as Buffer;
  return { private: priv, public: Buffer.from(pub33.subarray(1)) };
}

export function randomKeyPair(): KeyPair {
  const kp = Curve.generateKeyPair();
  return { private: Buffer.from(kp.private), public: Buffer.from(kp.public) };
}

/** Real signature check (Baileys' own Curve.verify is a no-op in rc14: libsignal returns false instead of throwing). */
export function verifySignature(
  pub32: Buffer | Uint8Array,
  msg: Buffer | Uint8Array,
  sig: Buffer | Uint8Array,
): boolean {
  try {
    const pub = Buffer.concat([Buffer.from([5]), Buffer.from(pub32)]);
    return libsignalCurve.verifySignature(pub, Buffer.from(msg), Buffer.from(sig)) === true;
  } catch {
    return false;
  }
}

const DAY_S = 86_400;

/**
 * Builds the encoded `proto.CertChain` for one server static key.
 * `issuerKey` is the root that signs the intermediate: the simulator's root normally, a foreign one for the foreignRoot fault.
 * `expiredLeaf` (the cert_expired fault): the leaf's validity ended a day ago; everything is still correctly signed.
 */
export function buildCertChain(
  issuerKey: KeyPair,
  intermediate: KeyPair,
  serverStaticPub: Buffer,
  expiredLeaf = false,
): Uint8Array {
  const now = Math.floor(Date.now() / 1000);
  const leafValidity = expiredLeaf
    ? { notBefore: now - 31 * DAY_S, notAfter: now - DAY_S }
    : { notBefore: now - DAY_S, notAfter: now + 30 * DAY_S };
  // issuerSerial: 0 must be present on the wire: protobufjs decodes an absent optional as null and the client compares `=== 0`.
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 1,
    issuerSerial: 0,
    key: intermediate.public,
    notBefore: now - DAY_S,
    notAfter: now + 365 * DAY_S,
  }).finish();
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 2,
    issuerSerial: 1,
    key: serverStaticPub,
    ...leafValidity,
  }).finish();
  return proto.CertChain.encode({
    intermediate: { details: intermediateDetails, signature: Curve.sign(issuerKey.private, intermediateDetails) },
    leaf: { details: leafDetails, signature: Curve.sign(intermediate.private, leafDetails) },
  }).finish();
}

export function randomSeed(): string {
  return randomBytes(32).toString('hex');
}

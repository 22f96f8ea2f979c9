import { proto } from 'baileys';

/**
 * The complete check of the server's Noise certificate chain (protocol notes §3), as whatsmeow's verifyServerCert
 * does it and Baileys rc14 does not: Baileys checks the two signatures and the intermediate's issuer serial, but
 * never that the leaf certifies the static key the server actually used in the handshake, nor the validity periods,
 * nor that the leaf was issued by this intermediate. Without the key comparison any server can replay WhatsApp's
 * genuine chain (every client receives it) with its own static key.
 *
 * Pure: the caller supplies the decrypted static key, the trusted root, the root's serial and the clock.
 * Returns why the chain is refused, or null when it is acceptable.
 */

export interface ServerCertInput {
  chain: proto.ICertChain;
  /** The server's static public key as decrypted during the handshake (32 bytes). */
  serverStatic: Uint8Array;
  /** Root serial the intermediate must name as issuer (WA_CERT_DETAILS.SERIAL). */
  rootSerial: number | undefined;
  /** Signature check (the strict Curve.verify of trust.ts). */
  verify: (key: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;
  rootKey: Uint8Array;
  nowMs: number;
}

type Details = proto.CertChain.NoiseCertificate.Details;

/** protobufjs decodes uint64 as a Long (when `long` is installed) or a number; absent is null/undefined. */
function seconds(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(typeof v === 'object' ? String(v) : v);
  return Number.isFinite(n) ? n : null;
}

function validity(name: string, d: Details, nowS: number): string | null {
  const notBefore = seconds(d.notBefore);
  const notAfter = seconds(d.notAfter);
  if (notBefore === null || notAfter === null) return `${name} certificate has no validity period`;
  if (nowS < notBefore) return `${name} certificate not valid before ${new Date(notBefore * 1000).toISOString()}`;
  if (nowS > notAfter) return `${name} certificate expired at ${new Date(notAfter * 1000).toISOString()}`;
  return null;
}

function decodeDetails(bytes: Uint8Array): Details | null {
  try {
    return proto.CertChain.NoiseCertificate.Details.decode(bytes);
  } catch {
    return null;
  }
}

export function checkServerCertificate(input: ServerCertInput): string | null {
  const { chain, verify } = input;
  const leaf = chain.leaf;
  const intermediate = chain.intermediate;
  if (!leaf?.details || !leaf.signature || !intermediate?.details || !intermediate.signature) {
    return 'certificate chain incomplete';
  }
  if (!verify(input.rootKey, intermediate.details, intermediate.signature)) {
    return 'intermediate certificate not signed by the trusted root';
  }
  const mid = decodeDetails(intermediate.details);
  if (!mid?.key || mid.key.length !== 32) return 'intermediate certificate details unreadable';
  if (input.rootSerial !== undefined && mid.issuerSerial !== input.rootSerial) {
    return `intermediate certificate issued by serial ${String(mid.issuerSerial)}, expected ${input.rootSerial}`;
  }
  if (!verify(mid.key, leaf.details, leaf.signature)) return 'leaf certificate not signed by the intermediate';
  const nowS = Math.floor(input.nowMs / 1000);
  const midValidity = validity('intermediate', mid, nowS);
  if (midValidity) return midValidity;
  const leafDetails = decodeDetails(leaf.details);
  if (!leafDetails?.key) return 'leaf certificate details unreadable';
  if (leafDetails.issuerSerial !== mid.serial) {
    return `leaf certificate issued by serial ${String(leafDetails.issuerSerial)}, not by the intermediate (${String(mid.serial)})`;
  }
  if (!Buffer.from(leafDetails.key).equals(Buffer.from(input.serverStatic))) {
    return "leaf certificate key does not match the server's Noise static key";
  }
  return validity('leaf', leafDetails, nowS);
}

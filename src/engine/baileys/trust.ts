import { Curve, WA_CERT_DETAILS, generateSignalPubKey, proto } from 'baileys';
import * as libsignalCurve from 'libsignal/src/curve.js';
import { checkServerCertificate } from './server-cert.ts';
import { VerifiedSignatures } from './verified-signatures.ts';

/**
 * The ONE place where Switchboard changes how Baileys decides whom to trust (docs/whatsapp-protocol.md §3 and §11).
 * Applied by createBaileysEngine() before the first socket exists; both changes are process-wide because Baileys
 * reads them from shared module objects on every handshake and every pairing.
 *
 * (a) Signature hole. Baileys rc14's `Curve.verify` (lib/Utils/crypto.js) wraps libsignal's `verifySignature` in
 *     try/catch and returns true unless it throws, but libsignal 6 *returns* false for a bad signature. As shipped,
 *     Baileys therefore accepts any Noise certificate chain (a man in the middle is not detected) and any ADV account
 *     signature at pairing. `Curve` is a plain mutable object that every Baileys module imports by reference
 *     (noise-handler.js, validate-connection.js), so replacing its `verify` property fixes all call sites at once,
 *     without editing node_modules. Keys arrive as 32-byte raw keys; libsignal wants the 33-byte 0x05-prefixed form,
 *     which `generateSignalPubKey` adds exactly as Baileys' own code does.
 * (b) Root certificate. The Noise intermediate certificate must be signed by `WA_CERT_DETAILS.PUBLIC_KEY`. For the
 *     simulator/sandbox we swap in its root key; without one, WhatsApp's real key stays. Because the value is global,
 *     one process talks to one WhatsApp (the real one or the sandbox), never both; a later call with a different
 *     root replaces the earlier one and is reported so a mix-up is visible in the logs.
 * (c) Complete server check (server-cert.ts). Baileys' processHandshake (lib/Utils/noise-handler.js) is one
 *     synchronous run: `Curve.sharedKey(eph, decryptedStatic)`, decrypt the payload, `proto.CertChain.decode(payload)`,
 *     then its own signature checks. Neither the function nor its locals can be reached from outside, but both
 *     `Curve` and `proto.CertChain` are shared mutable objects. So `sharedKey` remembers its peer key for the
 *     current synchronous turn only (cleared by a microtask), and `CertChain.decode`, when it runs in that same
 *     turn, is the handshake's: it checks the whole chain against the remembered static key and throws a 400
 *     error whose message starts with CERTIFICATE_REFUSED, which close-reasons.ts maps to certificate_invalid
 *     (FAILED, not retried). A decode outside a handshake turn (nobody else decodes CertChain) is left untouched.
 */

/** Message prefix of a chain refused by the complete check (close-reasons.ts maps it to certificate_invalid). */
export const CERTIFICATE_REFUSED = 'server certificate refused:';

const PATCHED = Symbol.for('switchboard.engine.curveVerifyPatched');
const WHATSAPP_ROOT = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY);

export interface TrustOptions {
  /** 32-byte Ed25519/X25519 public key of the root that signs the server's intermediate certificate. */
  rootPublicKey?: Buffer;
}

export interface TrustResult {
  /** True when this call replaced a previously applied, different root key. */
  rootChanged: boolean;
}

const verified = new VerifiedSignatures();

/**
 * A strict verify: libsignal's boolean, and false for anything malformed (wrong key/signature size, missing message).
 * A triple found valid before answers from memory (verified-signatures.ts: the server's certificates on every handshake).
 */
export function strictVerify(pubKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return verified.check(pubKey, message, signature, libsignalVerify);
}

function libsignalVerify(pubKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = Buffer.from(generateSignalPubKey(pubKey)); // libsignal insists on a Buffer, 33 bytes with 0x05
    return libsignalCurve.verifySignature(key, Buffer.from(message), Buffer.from(signature)) === true;
  } catch {
    return false;
  }
}

/** The peer key of the latest Curve.sharedKey call, valid until the current synchronous turn ends. */
let turnPeerKey: Uint8Array | undefined;

function installServerCheck(): void {
  const sharedKey = Curve.sharedKey;
  Curve.sharedKey = (privateKey, publicKey) => {
    if (turnPeerKey === undefined) queueMicrotask(() => (turnPeerKey = undefined));
    turnPeerKey = publicKey;
    return sharedKey(privateKey, publicKey);
  };
  const certChain = proto.CertChain as { decode: typeof proto.CertChain.decode };
  const decode = certChain.decode.bind(proto.CertChain);
  certChain.decode = (reader, length) => {
    const chain = decode(reader, length);
    const serverStatic = turnPeerKey;
    if (serverStatic === undefined) return chain;
    turnPeerKey = undefined;
    const problem = checkServerCertificate({
      chain,
      serverStatic,
      rootKey: WA_CERT_DETAILS.PUBLIC_KEY,
      rootSerial: WA_CERT_DETAILS.SERIAL,
      verify: strictVerify,
      nowMs: Date.now(),
    });
    if (problem) throw Object.assign(new Error(`${CERTIFICATE_REFUSED} ${problem}`), { output: { statusCode: 400 } });
    return chain;
  };
}

/** Idempotent; safe to call once per engine. */
export function applyTrust(opts: TrustOptions = {}): TrustResult {
  const curve = Curve as typeof Curve & { [PATCHED]?: true };
  if (!curve[PATCHED]) {
    curve.verify = strictVerify;
    installServerCheck();
    curve[PATCHED] = true;
  }
  const wanted = opts.rootPublicKey ?? WHATSAPP_ROOT;
  if (wanted.length !== 32) throw new RangeError(`rootPublicKey must be 32 bytes, got ${wanted.length}`);
  const current = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY);
  const rootChanged = !current.equals(wanted) && !current.equals(WHATSAPP_ROOT);
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(wanted);
  return { rootChanged };
}

/** True once applyTrust() has replaced Curve.verify. */
export function isTrustApplied(): boolean {
  return (Curve as { [PATCHED]?: true })[PATCHED] === true;
}

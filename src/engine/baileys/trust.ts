import { Curve, WA_CERT_DETAILS, generateSignalPubKey } from 'baileys';
import * as libsignalCurve from 'libsignal/src/curve.js';

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
 */

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

/** A strict verify: libsignal's boolean, and false for anything malformed (wrong key/signature size, missing message). */
export function strictVerify(pubKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = Buffer.from(generateSignalPubKey(pubKey)); // libsignal insists on a Buffer, 33 bytes with 0x05
    return libsignalCurve.verifySignature(key, Buffer.from(message), Buffer.from(signature)) === true;
  } catch {
    return false;
  }
}

/** Idempotent; safe to call once per engine. */
export function applyTrust(opts: TrustOptions = {}): TrustResult {
  const curve = Curve as typeof Curve & { [PATCHED]?: true };
  if (!curve[PATCHED]) {
    curve.verify = strictVerify;
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

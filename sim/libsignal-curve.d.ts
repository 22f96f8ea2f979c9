// libsignal ships no types for its curve helpers; the simulator uses them for deterministic root keys and real signature checks.
declare module 'libsignal/src/curve.js' {
  export function getPublicFromPrivateKey(privKey: Buffer): Buffer;
  export function verifySignature(pubKey: Buffer, msg: Buffer, sig: Buffer, isInit?: boolean): boolean;
  export function calculateSignature(privKey: Buffer, message: Buffer): Buffer;
}

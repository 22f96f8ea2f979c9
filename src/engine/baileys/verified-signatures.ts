import { createHash } from 'node:crypto';

/**
 * Signatures already found valid, so that checking the same one again is a hash lookup instead of an XEdDSA
 * verification. Every handshake presents the server's same two certificates (intermediate and leaf), and libsignal
 * verifies in pure JavaScript (curve25519-js): profiled at about half of a restored session's CPU before this memo
 * (BENCHMARKS.md "Many sessions"). Verification is a pure function of (key, message, signature), so a remembered "valid"
 * is exactly what verifying again would answer. Only valid results are kept: whoever sends forgeries cannot fill it.
 */
export class VerifiedSignatures {
  readonly #seen = new Map<string, true>();

  constructor(private readonly capacity = 256) {}

  /** Runs `verify` unless this exact triple was found valid before; remembers a valid one (oldest forgotten first). */
  check(
    pubKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
    verify: (pubKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean,
  ): boolean {
    const key = digest(pubKey, message, signature);
    if (this.#seen.has(key)) return true;
    if (!verify(pubKey, message, signature)) return false;
    if (this.#seen.size >= this.capacity) this.#seen.delete(this.#seen.keys().next().value!);
    this.#seen.set(key, true);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }
}

/** SHA-256 over the three parts, each prefixed by its length, so no two different triples share an input. */
function digest(...parts: Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(part.byteLength);
    hash.update(len).update(part);
  }
  return hash.digest('base64');
}

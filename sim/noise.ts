/**
 * Server side of WhatsApp's Noise_XX_25519_AESGCM_SHA256 handshake and the transport that follows (protocol doc sections 1–2).
 * Mirrors Baileys' lib/Utils/noise-handler.js exactly, including its quirk that during the handshake one counter
 * is shared by encrypt and decrypt and reset on every mixKey.
 */
import { aesDecryptGCM, aesEncryptGCM, Curve, hkdf, NOISE_MODE, NOISE_WA_HEADER, sha256 } from 'baileys';
import type { KeyPair } from './certs.ts';

const EMPTY = Buffer.alloc(0);

function iv(counter: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(counter >>> 0, 8);
  return b;
}

export interface ServerHello {
  ephemeral: Buffer;
  static: Buffer;
  payload: Buffer;
}

export class NoiseHandshake {
  private h: Buffer;
  private ck: Buffer;
  private k: Buffer;
  private n = 0;
  private readonly ephemeral: KeyPair;

  constructor(private readonly serverStatic: KeyPair) {
    // The 32-byte protocol name is used as-is (not hashed) because it is exactly 32 bytes long.
    this.h = this.ck = this.k = Buffer.from(NOISE_MODE);
    const e = Curve.generateKeyPair();
    this.ephemeral = { private: Buffer.from(e.private), public: Buffer.from(e.public) };
  }

  private mixHash(x: Uint8Array): void {
    this.h = sha256(Buffer.concat([this.h, x]));
  }

  private mixKey(ikm: Uint8Array): void {
    const out = Buffer.from(hkdf(Buffer.from(ikm), 64, { salt: this.ck, info: '' }));
    this.ck = out.subarray(0, 32);
    this.k = out.subarray(32, 64);
    this.n = 0;
  }

  private enc(pt: Uint8Array): Buffer {
    const ct = aesEncryptGCM(Buffer.from(pt), this.k, iv(this.n++), this.h);
    this.mixHash(ct);
    return ct;
  }

  private dec(ct: Uint8Array): Buffer {
    const pt = aesDecryptGCM(Buffer.from(ct), this.k, iv(this.n++), this.h);
    this.mixHash(ct);
    return pt;
  }

  /** Step 2: answer the clientHello. Only the 4 WA header bytes enter the hash, never an ED routing prefix. */
  serverHello(clientEphemeral: Uint8Array, certChain: Uint8Array): ServerHello {
    if (clientEphemeral.length !== 32) throw new Error('bad client ephemeral');
    this.mixHash(NOISE_WA_HEADER);
    this.mixHash(clientEphemeral);
    this.mixHash(this.ephemeral.public);
    this.mixKey(Curve.sharedKey(this.ephemeral.private, Buffer.from(clientEphemeral)));
    const stat = this.enc(this.serverStatic.public);
    this.mixKey(Curve.sharedKey(this.serverStatic.private, Buffer.from(clientEphemeral)));
    const payload = this.enc(certChain);
    return { ephemeral: this.ephemeral.public, static: stat, payload };
  }

  /** Step 3: returns the client's long-term noise key and the decrypted ClientPayload bytes. Throws on any GCM failure. */
  clientFinish(encStatic: Uint8Array, encPayload: Uint8Array): { clientStatic: Buffer; payload: Buffer } {
    const clientStatic = this.dec(encStatic);
    this.mixKey(Curve.sharedKey(this.ephemeral.private, clientStatic));
    const payload = this.dec(encPayload);
    return { clientStatic, payload };
  }

  /** Step 4: the client writes with out[0:32]; the server is the mirror image. */
  split(): NoiseTransport {
    const out = Buffer.from(hkdf(EMPTY, 64, { salt: this.ck, info: '' }));
    return new NoiseTransport(out.subarray(32, 64), out.subarray(0, 32));
  }
}

export class NoiseTransport {
  private readCounter = 0;
  private writeCounter = 0;
  constructor(
    private readonly encKey: Buffer,
    private readonly decKey: Buffer,
  ) {}
  encrypt(pt: Uint8Array): Buffer {
    return aesEncryptGCM(Buffer.from(pt), this.encKey, iv(this.writeCounter++), EMPTY);
  }
  decrypt(ct: Uint8Array): Buffer {
    return aesDecryptGCM(Buffer.from(ct), this.decKey, iv(this.readCounter++), EMPTY);
  }
}

/**
 * Splits the client's byte stream into frames (3-byte big-endian length + payload). The first bytes are the intro
 * header `WA 06 03`, optionally preceded by `ED 00 01 <len24> <routingInfo>`. Buffers partial data, because nothing
 * guarantees one frame per WebSocket message.
 */
export class FrameReader {
  private buf: Buffer = EMPTY;
  private introDone = false;
  routingInfo: Buffer | undefined;

  push(data: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    if (!this.introDone) {
      if (this.buf.length >= 2 && this.buf[0] === 0x45 && this.buf[1] === 0x44) {
        if (this.buf.length < 7) return [];
        const len = this.buf.readUIntBE(4, 3);
        if (this.buf.length < 7 + len + 4) return [];
        this.routingInfo = Buffer.from(this.buf.subarray(7, 7 + len));
        this.buf = this.buf.subarray(7 + len);
      }
      if (this.buf.length < 4) return [];
      if (!this.buf.subarray(0, 4).equals(NOISE_WA_HEADER)) throw new Error('bad intro header');
      this.buf = this.buf.subarray(4);
      this.introDone = true;
    }
    const frames: Buffer[] = [];
    while (this.buf.length >= 3) {
      const size = this.buf.readUIntBE(0, 3);
      if (this.buf.length < size + 3) break;
      frames.push(Buffer.from(this.buf.subarray(3, size + 3)));
      this.buf = this.buf.subarray(size + 3);
    }
    return frames;
  }
}

export function encodeFrame(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(3 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out.set(payload, 3);
  return out;
}

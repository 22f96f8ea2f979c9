/**
 * A server-side Signal party (a simulated phone's device 0, or a simulated contact), built entirely from Baileys'
 * own pieces (protocol doc 14.1): `makeLibSignalRepository` over an in-memory key store, `initAuthCreds`,
 * `signedKeyPair`, `encodeWAMessage` / `unpadRandomMax16`. No cryptography of our own.
 *
 * The repository is given no PN→LID function, so it addresses every peer by the JID we pass (always the companion's
 * PN device JID, `<phone>:<dev>@s.whatsapp.net`); that only has to be consistent with itself.
 */
import {
  Curve,
  encodeWAMessage,
  initAuthCreds,
  proto,
  signedKeyPair,
  unpadRandomMax16,
  type SignalKeyStoreWithTransaction,
} from 'baileys';
import { makeLibSignalRepository } from 'baileys/lib/Signal/libsignal.js';
import type { Logger } from 'pino';
import type { KeyPair } from './certs.ts';

/** What a key fetch hands out for one device; every key 32 bytes, as on the wire. */
export interface PreKeyBundle {
  registrationId: number;
  identity: Buffer;
  signedPreKey: { id: number; pub: Buffer; sig: Buffer };
  preKey?: { id: number; pub: Buffer };
}

export type Encrypted = { type: 'pkmsg' | 'msg'; ciphertext: Buffer };

/** libsignal sessions and bundles want 33-byte keys with the 0x05 type prefix; the wire carries 32. */
const prefixed = (k: Buffer): Buffer => (k.length === 33 ? k : Buffer.concat([Buffer.from([5]), k]));

/** What a party stores besides its key store: the parts of its creds that are random, and its pre-key counter. */
export interface SavedParty {
  registrationId: number;
  signedPreKey: ReturnType<typeof initAuthCreds>['signedPreKey'];
  nextPreKeyId: number;
}

/** Where a party writes through to (store.ts), and what it was loaded with. */
export interface PartyPersistence {
  saved: (SavedParty & { keys: Array<{ type: string; id: string; value: unknown }> }) | null;
  saveParty(data: SavedParty): void;
  setKey(type: string, id: string, value: unknown): void;
}

/** The tiny key store makeLibSignalRepository needs: get / set (null deletes) / transaction; in memory, written through. */
function memoryStore(persist: PartyPersistence): SignalKeyStoreWithTransaction {
  const data = new Map<string, Map<string, unknown>>();
  for (const { type, id, value } of persist.saved?.keys ?? []) {
    let m = data.get(type);
    if (!m) data.set(type, (m = new Map()));
    m.set(id, value);
  }
  return {
    get: (async (type: string, ids: string[]) => {
      const m = data.get(type);
      const out: Record<string, unknown> = {};
      for (const id of ids) if (m?.has(id)) out[id] = m.get(id);
      return out;
    }) as SignalKeyStoreWithTransaction['get'],
    set: async (d) => {
      for (const [type, values] of Object.entries(d)) {
        let m = data.get(type);
        if (!m) data.set(type, (m = new Map()));
        for (const [id, v] of Object.entries(values ?? {})) {
          if (v == null) m.delete(id);
          else m.set(id, v);
          persist.setKey(type, id, v);
        }
      }
    },
    // Every call of a party is already serialised by SignalParty.run(), so no locking is needed here.
    isInTransaction: () => false,
    transaction: (exec) => exec(),
  };
}

export class SignalParty {
  private readonly creds: ReturnType<typeof initAuthCreds>;
  private readonly keys: SignalKeyStoreWithTransaction;
  private readonly repo: ReturnType<typeof makeLibSignalRepository>;
  private nextPreKeyId: number;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    identity: KeyPair,
    logger: Logger,
    private readonly persist: PartyPersistence,
  ) {
    // The party's identity is the given key (for a phone: its ADV account key, as createSignalIdentity assumes).
    const signedIdentityKey = { private: identity.private, public: identity.public };
    const saved = persist.saved;
    this.creds = saved
      ? {
          ...initAuthCreds(),
          signedIdentityKey,
          registrationId: saved.registrationId,
          signedPreKey: saved.signedPreKey,
        }
      : { ...initAuthCreds(), signedIdentityKey, signedPreKey: signedKeyPair(signedIdentityKey, 1) };
    this.nextPreKeyId = saved?.nextPreKeyId ?? 1;
    this.keys = memoryStore(persist);
    if (!saved) this.saveParty();
    // The LID store warns on every access when it has no PN→LID function; that is expected here, so keep it quiet.
    this.repo = makeLibSignalRepository({ creds: this.creds, keys: this.keys }, logger.child({}, { level: 'error' }));
  }

  private saveParty(): void {
    this.persist.saveParty({
      registrationId: this.creds.registrationId,
      signedPreKey: this.creds.signedPreKey,
      nextPreKeyId: this.nextPreKeyId,
    });
  }

  /** Serialises every operation: a Signal session is a ratchet and must not be advanced twice at once. */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Hands out this party's bundle with a fresh one-time pre-key (made now, kept until a pkmsg consumes it). */
  async takeBundle(): Promise<PreKeyBundle> {
    const id = this.nextPreKeyId++;
    this.saveParty();
    const pair = Curve.generateKeyPair();
    await this.keys.set({ 'pre-key': { [String(id)]: pair } });
    const spk = this.creds.signedPreKey;
    return {
      registrationId: this.creds.registrationId,
      identity: Buffer.from(this.creds.signedIdentityKey.public),
      signedPreKey: { id: spk.keyId, pub: Buffer.from(spk.keyPair.public), sig: Buffer.from(spk.signature) },
      preKey: { id, pub: Buffer.from(pair.public) },
    };
  }

  /**
   * Encrypts `message` for the device `jid`. With no open session, a session is started from the bundle that
   * `bundle()` hands out (one of the device's uploaded pre-keys). Returns null if there is neither.
   */
  encrypt(jid: string, message: proto.IMessage, bundle: () => PreKeyBundle | null): Promise<Encrypted | null> {
    return this.run(async () => {
      if (!(await this.repo.validateSession(jid)).exists) {
        const b = bundle();
        if (!b) return null;
        await this.repo.injectE2ESession({
          jid,
          session: {
            registrationId: b.registrationId,
            identityKey: prefixed(b.identity),
            signedPreKey: {
              keyId: b.signedPreKey.id,
              publicKey: prefixed(b.signedPreKey.pub),
              signature: b.signedPreKey.sig,
            },
            preKey: b.preKey ? { keyId: b.preKey.id, publicKey: prefixed(b.preKey.pub) } : undefined!,
          },
        });
      }
      const { type, ciphertext } = await this.repo.encryptMessage({ jid, data: encodeWAMessage(message) });
      return { type: type as 'pkmsg' | 'msg', ciphertext: Buffer.from(ciphertext) };
    });
  }

  /** Drops the session with the device `jid` (it could not decrypt it): the next encrypt starts a new one. */
  dropSession(jid: string): Promise<void> {
    return this.run(async () => {
      await this.keys.set({ session: { [this.repo.jidToSignalProtocolAddress(jid)]: null } });
    });
  }

  /** Forgets the session and identity held for the device `jid` (it was unlinked: a new companion may get its id). */
  forget(jid: string): Promise<void> {
    return this.run(async () => {
      const addr = this.repo.jidToSignalProtocolAddress(jid);
      await this.keys.set({ session: { [addr]: null }, 'identity-key': { [addr]: null } });
    });
  }

  /** Decrypts what the device `jid` sent to this party. Throws if Signal refuses it. */
  decrypt(jid: string, type: 'pkmsg' | 'msg', ciphertext: Uint8Array): Promise<proto.Message> {
    return this.run(async () => {
      const plain = await this.repo.decryptMessage({ jid, type, ciphertext: Buffer.from(ciphertext) });
      return proto.Message.decode(unpadRandomMax16(plain));
    });
  }
}

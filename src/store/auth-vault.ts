import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { AuthWrite, Store } from './store.ts';
import type { AuthKeyValue } from '../domain/index.ts';
import type { LeaseToken } from './cluster-types.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A stored auth value that does not authenticate: another master key, or bytes changed at rest. */
export class AuthDecryptError extends Error {
  constructor(instanceId: string, type: string, id: string) {
    super(
      `cannot decrypt auth state ${type}/${id} of instance ${instanceId}: ` +
        'wrong SWITCHBOARD_MASTER_KEY or the stored value was altered',
    );
    this.name = 'AuthDecryptError';
  }
}

/**
 * Encrypted auth state of one instance, as the engine sees it (AuthKeyValue). Each value is sealed with AES-256-GCM
 * under a random 12-byte IV and stored as iv ‖ tag ‖ ciphertext. The associated data `${instanceId}|${type}|${id}` ties a
 * ciphertext to its slot, so rows copied to another key or instance fail to open instead of being accepted.
 *
 * The AES key is derived per instance from the master key (HKDF-SHA256, salt = instance id). Same master key, same
 * deployment story; but the random-IV limit of GCM (about 2^32 messages per key) then applies per instance, not to the
 * whole gateway's lifetime of Signal key writes.
 */
export class AuthVault implements AuthKeyValue {
  readonly #store: Store;
  readonly #instanceId: string;
  readonly #key: Buffer;
  readonly #lease: (() => LeaseToken) | undefined;

  /** `lease`: clustered, the fencing token every write carries (docs/multi-node.md "Fencing"). */
  constructor(store: Store, instanceId: string, masterKey: Buffer, lease?: () => LeaseToken) {
    if (masterKey.length !== 32) throw new Error('master key must be 32 bytes');
    this.#store = store;
    this.#lease = lease;
    this.#instanceId = instanceId;
    this.#key = Buffer.from(hkdfSync('sha256', masterKey, instanceId, 'switchboard/auth-state/v1', 32));
  }

  async get(type: string, ids: string[]): Promise<Record<string, string>> {
    const sealed = await this.#store.readAuth(this.#instanceId, type, ids);
    const out: Record<string, string> = {};
    for (const [id, value] of sealed) out[id] = this.#open(type, id, value);
    return out;
  }

  /** One store.writeAuth call per batch: the store applies it in one transaction, all or nothing. */
  async set(writes: Array<{ type: string; id: string; value: string | null }>): Promise<void> {
    // One draw of random IVs for the whole batch (a registration writes 812 pre-keys at once), not one per value.
    const ivs = randomBytes(IV_BYTES * writes.length);
    const sealed: AuthWrite[] = writes.map((w, i) => ({
      type: w.type,
      id: w.id,
      value:
        w.value === null ? null : this.#seal(w.type, w.id, w.value, ivs.subarray(i * IV_BYTES, (i + 1) * IV_BYTES)),
    }));
    if (!this.#lease) return this.#store.writeAuth(this.#instanceId, sealed);
    await this.#store.tx((tx) => tx.writeAuth(this.#instanceId, sealed), { lease: this.#lease() });
  }

  clear(): Promise<void> {
    if (!this.#lease) return this.#store.clearAuth(this.#instanceId);
    return this.#store.tx((tx) => tx.clearAuth(this.#instanceId), { lease: this.#lease() });
  }

  #aad(type: string, id: string): Buffer {
    return Buffer.from(`${this.#instanceId}|${type}|${id}`, 'utf8');
  }

  #seal(type: string, id: string, plaintext: string, iv: Buffer): Buffer {
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(this.#aad(type, id));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  #open(type: string, id: string, sealed: Buffer): string {
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new AuthDecryptError(this.#instanceId, type, id);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(this.#aad(type, id));
      decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new AuthDecryptError(this.#instanceId, type, id);
    }
  }
}

import type { InstanceRecord, Store, StoreChange, InstanceStore, TokenStore } from '../store/index.ts';
import { type AuthenticatedAccount, authenticateAccessToken } from './accounts.ts';
import { hashToken, MAX_TOKEN_LENGTH } from './tokens.ts';

/**
 * In-process cache of what authentication reads on every request: access token (by its SHA-256) → account, and
 * instance id → instance record. It is exact, not "fresh enough": there is no TTL window, an entry is only used
 * while nothing that could change it has happened.
 *
 * - Writes through this process's store (admin API revoke, instance status/config change, delete) are announced by
 *   the store (Store.changes.subscribe) synchronously: a revoke drops every token entry, an instance change drops
 *   that instance's entry.
 * - Writes by another connection (the offline CLI `tokens revoke`, another process on the same SQLite file, a manual
 *   DELETE of an account) are seen through Store.changes.externalVersion() (SQLite `PRAGMA data_version`), read once
 *   per event-loop turn, before the turn's first lookup (see #current): when it moved, everything is dropped before
 *   answering.
 * - On PostgreSQL, other nodes' (and anyone's) commits are announced by LISTEN/NOTIFY and arrive through subscribe like
 *   local ones; externalVersion() moves when the listener reconnects and is null while it is down: then nothing is
 *   cached and every request reads the database (docs/multi-node.md "Change feed").
 *
 * A lookup that went to the store only fills the cache when no change was announced while it was in flight
 * (`#generation`), so a read that raced a revoke cannot put the revoked token back. Only positive answers are
 * kept (a wrong token always reaches the store, as before); cached records are frozen and shared.
 *
 * Answers come back synchronously on a hit (no promise) and as a promise on a miss.
 */

const DEFAULT_MAX_ENTRIES = 10_000;

export class AuthCache {
  readonly #store: InstanceStore & TokenStore & Pick<Store, 'changes'>;
  readonly #tokens = new Map<string, AuthenticatedAccount>();
  readonly #instances = new Map<string, InstanceRecord>();
  readonly #maxEntries: number;
  readonly #unsubscribe: (() => void) | undefined;
  /** Bumped on every invalidation; a fill only lands when it did not move during the store read. */
  #generation = 0;
  #externalVersion: number | null = null;

  constructor(store: InstanceStore & TokenStore & Pick<Store, 'changes'>, opts: { maxEntries?: number } = {}) {
    this.#store = store;
    this.#maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#unsubscribe = store.changes?.subscribe((change) => this.#onChange(change));
  }

  /**
   * The account of a presented access token (revoked, unknown or malformed: null). `hash` is its SHA-256 when the
   * caller already has it (src/http/auth.ts remembers it per connection).
   */
  authenticate(token: string, hash?: string): AuthenticatedAccount | null | Promise<AuthenticatedAccount | null> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    hash ??= hashToken(token);
    const generation = this.#current();
    if (generation === null) return authenticateAccessToken(this.#store, token, hash);
    const hit = this.#tokens.get(hash);
    if (hit) return hit;
    return authenticateAccessToken(this.#store, token, hash).then((found) => {
      if (found && this.#generation === generation && this.#current() === generation) {
        this.#room(this.#tokens);
        this.#tokens.set(
          hash,
          Object.freeze({ account: Object.freeze(found.account), token: Object.freeze(found.token) }),
        );
      }
      return found;
    });
  }

  /** The instance if it exists and belongs to the account; another account's instance is exactly like none. */
  instanceForAccount(accountId: string, instanceId: string): InstanceRecord | null | Promise<InstanceRecord | null> {
    const generation = this.#current();
    const hit = generation === null ? undefined : this.#instances.get(instanceId);
    if (hit) return hit.accountId === accountId ? hit : null;
    return this.#store.getInstance(instanceId).then((instance) => {
      if (instance && generation !== null && this.#generation === generation && this.#current() === generation) {
        this.#room(this.#instances);
        this.#instances.set(instanceId, Object.freeze(instance));
      }
      return instance !== null && instance.accountId === accountId ? instance : null;
    });
  }

  /**
   * The instance of a call when both answers are already cached and positive: the token's account (by the token's
   * SHA-256) owns `instanceId`. Undefined for anything else (a miss, an unknown token, another account's instance):
   * the caller then takes the full path, whose answers (and errors) are the authoritative ones. Never reads the
   * store; the same exactness as the lookups above (it catches up with other connections' commits first).
   */
  cachedInstance(hash: string, instanceId: string): InstanceRecord | undefined {
    if (this.#current() === null) return undefined;
    const found = this.#tokens.get(hash);
    if (found === undefined) return undefined;
    const instance = this.#instances.get(instanceId);
    return instance !== undefined && instance.accountId === found.account.id ? instance : undefined;
  }

  /** Drops everything (tests; an operator tool that wrote around the store). */
  clear(): void {
    this.#generation++;
    this.#tokens.clear();
    this.#instances.clear();
  }

  close(): void {
    this.#unsubscribe?.();
    this.clear();
  }

  get size(): { tokens: number; instances: number } {
    return { tokens: this.#tokens.size, instances: this.#instances.size };
  }

  /**
   * The generation entries may be used under, after catching up with other connections' commits; null: no caching.
   *
   * The external version (one pread of SQLite's WAL-index header: ~1 µs idle, 5–7 µs of a /me under load) is read at
   * most once per event-loop turn: the first lookup of a turn reads it and the answer holds until that turn's check
   * phase (setImmediate). That keeps revocation exact for requests from the network: a request Node serves in a
   * turn was readable when the turn's poll for I/O returned, and the first lookup comes after that poll, so a commit
   * made before such a request was sent is seen. (The window left is a second request pipelined on one connection
   * behind a request that was already waiting, read in the same turn; Wawp clients do not pipeline.) Under load one
   * turn serves many requests, which is what this saves; one per microtask run cost a pread per request.
   */
  #current(): number | null {
    if (!this.#checked) {
      const version = this.#store.changes?.externalVersion() ?? null;
      if (version === null) return null;
      this.#checked = true;
      setImmediate(this.#uncheck).unref();
      if (version !== this.#externalVersion) {
        this.#externalVersion = version;
        this.clear();
      }
    }
    return this.#generation;
  }

  #checked = false;
  readonly #uncheck = (): void => {
    this.#checked = false;
  };

  #onChange(change: StoreChange): void {
    if (change.kind === 'tokens') this.#tokens.clear();
    else if (change.kind === 'instance') this.#instances.delete(change.id);
    else return; // identities and events are not cached here
    this.#generation++;
  }

  /** Bounded memory: past the limit, start over (entries are cheap to refill). */
  #room(map: Map<string, unknown>): void {
    if (map.size >= this.#maxEntries) map.clear();
  }
}

import type { IdentityStore, StoreChange, StoreChanges } from '../store/index.ts';
import { meEntry, type MeEntry } from './identity-cache.ts';

/**
 * `/me` for an instance WORKING on ANOTHER node (PostgreSQL, docs/multi-node.md "Change feed"): the owner writes the
 * identity in the same transaction as the status WORKING, so the stored identity row is the owner's answer. This cache
 * keeps the `/me` entry built from that row, exact in the same way as the auth cache:
 *
 * - an entry is dropped when its instance's `identity:<id>` or `instance:<id>` notice arrives (whoever wrote it);
 * - nothing is cached while the change listener is down (`externalVersion()` null: every lookup reads the store), and
 *   everything is dropped when it comes back with a new version (notices sent meanwhile were lost);
 * - a store read only fills the cache when no change was announced while it was in flight, so a read that raced a
 *   rename cannot put the old name back.
 *
 * The local IdentityCache (the session manager's) stays the answer for instances this node runs; this one is asked only
 * when the stored status says WORKING and this node has no connection for it.
 */

export type SharedIdentityStore = Pick<IdentityStore, 'getIdentity'> & { readonly changes?: StoreChanges };

const DEFAULT_MAX_ENTRIES = 10_000;

export class SharedIdentityCache {
  readonly #store: SharedIdentityStore;
  readonly #entries = new Map<string, MeEntry>();
  readonly #maxEntries: number;
  readonly #unsubscribe: (() => void) | undefined;
  #generation = 0;
  #version: number | null = null;

  constructor(store: SharedIdentityStore, opts: { maxEntries?: number } = {}) {
    this.#store = store;
    this.#maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#unsubscribe = store.changes?.subscribe((change) => this.#onChange(change));
  }

  /** The `/me` entry of the stored identity (null: none stored). Synchronous on a hit. */
  lookup(instanceId: string): MeEntry | null | Promise<MeEntry | null> {
    const generation = this.#current();
    const hit = generation === null ? undefined : this.#entries.get(instanceId);
    if (hit) return hit;
    return this.#store.getIdentity(instanceId).then((identity) => {
      if (identity === null) return null;
      const entry = meEntry(identity);
      if (generation !== null && this.#generation === generation && this.#current() === generation) {
        if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
        this.#entries.set(instanceId, entry);
      }
      return entry;
    });
  }

  get size(): number {
    return this.#entries.size;
  }

  close(): void {
    this.#unsubscribe?.();
    this.#drop();
  }

  /** The generation entries may be used under; null while the store cannot announce other nodes' writes. */
  #current(): number | null {
    const version = this.#store.changes?.externalVersion() ?? null;
    if (version === null) return null;
    if (version !== this.#version) {
      this.#version = version;
      this.#drop();
    }
    return this.#generation;
  }

  #drop(): void {
    this.#generation++;
    this.#entries.clear();
  }

  #onChange(change: StoreChange): void {
    if (change.kind !== 'identity' && change.kind !== 'instance') return;
    this.#generation++;
    this.#entries.delete(change.id);
  }
}

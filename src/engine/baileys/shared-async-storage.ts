import asyncHooks, { AsyncLocalStorage } from 'node:async_hooks';
import { syncBuiltinESMExports } from 'node:module';

/**
 * One native AsyncLocalStorage for every storage made in this thread.
 *
 * Baileys makes a new AsyncLocalStorage for each socket (addTransactionCapability, for its key transactions) and never
 * disables it. On Node 20 every enabled storage is visited on EVERY async resource created in the thread (each
 * promise, timer, tick: async_hooks' init walks the list of storages), so with N sessions every promise costs O(N),
 * and reconnections add storages that are never removed. The scale bench showed it: an engine worker with 400 idle
 * sessions spent a third of its time in `_propagate`, restoring 1,000 sessions took 95 ms of CPU each instead of ~25,
 * and 1,000 idle sessions kept ~0.9 of a core busy.
 *
 * Here each `new AsyncLocalStorage()` is a key into one shared native storage whose store is a small immutable map
 * (key → value): `run` makes a copy with its key set, `getStore` reads its key. The native list then holds one entry
 * whatever the number of sessions. Semantics kept: nesting and isolation between storages, propagation through
 * promises, timers and callbacks (the native storage does it), `exit`, `enterWith`, `disable`.
 */

type Contexts = ReadonlyMap<object, unknown>;

const Native = AsyncLocalStorage;
const shared = new Native<Contexts>();
const EMPTY: Contexts = new Map();

export class KeyedAsyncLocalStorage<T> {
  static bind = Native.bind;
  static snapshot = Native.snapshot;
  readonly #key = {};
  #enabled = true;

  getStore(): T | undefined {
    if (!this.#enabled) return undefined;
    return shared.getStore()?.get(this.#key) as T | undefined;
  }

  run<R, A extends unknown[]>(store: T, fn: (...args: A) => R, ...args: A): R {
    this.#enabled = true;
    const next = new Map(shared.getStore() ?? EMPTY);
    next.set(this.#key, store);
    return shared.run(next, fn, ...args);
  }

  exit<R, A extends unknown[]>(fn: (...args: A) => R, ...args: A): R {
    const current = shared.getStore();
    if (!current?.has(this.#key)) return fn(...args);
    const next = new Map(current);
    next.delete(this.#key);
    return shared.run(next, fn, ...args);
  }

  enterWith(store: T): void {
    this.#enabled = true;
    const next = new Map(shared.getStore() ?? EMPTY);
    next.set(this.#key, store);
    shared.enterWith(next);
  }

  disable(): void {
    this.#enabled = false;
  }
}

let installed = false;

/**
 * Makes `AsyncLocalStorage` of `node:async_hooks` (CommonJS and the ES module's live binding, which Baileys imports)
 * the keyed one for everything created from now on in this thread. Call before the first Baileys socket.
 */
export function shareAsyncLocalStorage(): void {
  if (installed) return;
  installed = true;
  (asyncHooks as { AsyncLocalStorage: unknown }).AsyncLocalStorage = KeyedAsyncLocalStorage;
  syncBuiltinESMExports();
}

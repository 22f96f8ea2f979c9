import type { CacheStore } from 'baileys';

/** How long a Signal key stays cached after its last write or store read: Baileys' own default (5 minutes). */
export const SIGNAL_KEY_TTL_MS = 5 * 60_000;

/**
 * The cache under Baileys' makeCacheableSignalKeyStore (keys are `${type}.${id}`), in place of its default NodeCache:
 * - one-time pre-keys are never cached. A registration writes 812 of them at once and Baileys reads one back only
 *   when a contact starts a Signal session with it (weeks later, or never); cached, they held ~2 MiB per freshly
 *   paired session for 5 minutes. Their reads and writes go straight to the store, as before through the cache.
 *   (Pairing itself reads them back inside Baileys' key transaction, which has its own cache.)
 * - no per-value size accounting: NodeCache walks every cached Buffer byte by byte to keep its stats.
 * Expired entries are dropped when read, and swept at most once per TTL on a write.
 */
export class SignalKeyCache implements CacheStore {
  readonly #entries = new Map<string, { value: unknown; expires: number }>();
  readonly #ttlMs: number;
  #nextSweep: number;

  constructor(ttlMs = SIGNAL_KEY_TTL_MS) {
    this.#ttlMs = ttlMs;
    this.#nextSweep = Date.now() + ttlMs;
  }

  get<T>(key: string): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  set<T>(key: string, value: T): void {
    if (key.startsWith('pre-key.')) return;
    const now = Date.now();
    this.#entries.set(key, { value, expires: now + this.#ttlMs });
    if (now >= this.#nextSweep) this.#sweep(now);
  }

  del(key: string): void {
    this.#entries.delete(key);
  }

  flushAll(): void {
    this.#entries.clear();
  }

  /** How many entries are held (expired ones not yet dropped included): for tests. */
  get size(): number {
    return this.#entries.size;
  }

  #sweep(now: number): void {
    this.#nextSweep = now + this.#ttlMs;
    for (const [key, entry] of this.#entries) if (entry.expires <= now) this.#entries.delete(key);
  }
}

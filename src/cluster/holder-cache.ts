import type { LeaseHolder } from '../store/index.ts';

/**
 * Lease holders by instance, for forwarding: a node that forwards every call for an instance owned elsewhere would
 * otherwise read the lease on each one, on the lease pool that renewals need. An entry lives at most `maxAgeMs` (an
 * expiry sends no notification, so entries must age out) and is dropped at once on the instance's lease notice; nothing
 * is cached while the change feed is not listening (`version` null) and everything goes when it reconnected (notices
 * may have been missed). The heartbeat age of a cached answer grows with the entry's own age.
 */
export class HolderCache {
  readonly #entries = new Map<string, { holder: LeaseHolder | null; at: number }>();
  #version: number | null = null;

  constructor(
    private readonly read: (instanceId: string) => Promise<LeaseHolder | null>,
    private readonly maxAgeMs = 1_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async get(instanceId: string, version: number | null): Promise<LeaseHolder | null> {
    if (version !== this.#version) {
      this.#entries.clear();
      this.#version = version;
    }
    const hit = this.#entries.get(instanceId);
    const now = this.now();
    if (hit && now - hit.at < this.maxAgeMs) {
      return hit.holder && { ...hit.holder, heartbeatAgeMs: hit.holder.heartbeatAgeMs + (now - hit.at) };
    }
    const holder = await this.read(instanceId);
    if (version !== null && this.#version === version) this.#entries.set(instanceId, { holder, at: now });
    return holder;
  }

  drop(instanceId: string): void {
    this.#entries.delete(instanceId);
  }
}

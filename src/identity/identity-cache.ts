import { createHash } from 'node:crypto';
import type { IdentityRecord } from '../domain/index.ts';
import { identityChanged, meBody, type MeBody } from './identity-record.ts';
import type { SessionStatus } from '../domain/index.ts';

/**
 * The `/v2/session/me` fast path: for every instance that is WORKING on this node, the live identity's `/me` body,
 * already serialised, with its strong ETag. The session manager is the only writer and calls `sync` in the same
 * synchronous step as it changes the runtime status, after the store commit and before the bus publish (see
 * StatusRecorder's `committed` hook). So there is no tick in which an event, /info or a bus subscriber sees a
 * status other than WORKING while /me still answers, and no tick in which /me answers with an identity that was
 * replaced. Readers never touch the store or the engine.
 */

export interface MeEntry {
  /** The body, key order as docs/http-api.md "/v2/session/me" (Wawp shape first); also the session.identity payload. */
  readonly body: MeBody;
  /** JSON.stringify(body), computed once per identity change. */
  readonly json: string;
  /** Strong entity tag over `json`, quoted: `"…"`. */
  readonly etag: string;
  /** The record the entry was built from (to tell a real change from a re-report of the same identity). */
  readonly identity: IdentityRecord;
}

/** Strong ETag of a serialised representation (not a secret: only a change detector). */
export function strongEtag(serialised: string): string {
  return `"${createHash('sha256').update(serialised, 'utf8').digest('base64url').slice(0, 27)}"`;
}

export function meEntry(identity: IdentityRecord): MeEntry {
  const body = meBody(identity, 'live');
  const json = JSON.stringify(body);
  return Object.freeze({ body, json, etag: strongEtag(json), identity });
}

export class IdentityCache {
  readonly #entries = new Map<string, MeEntry>();

  get(instanceId: string): MeEntry | undefined {
    return this.#entries.get(instanceId);
  }

  /**
   * Makes the entry match the instance's new status and identity: kept only while WORKING with a known identity.
   * A re-report of the same public identity keeps the entry (same body, same ETag); any change replaces it.
   */
  sync(instanceId: string, status: SessionStatus, identity: IdentityRecord | null): void {
    if (status !== 'WORKING' || identity === null) {
      this.#entries.delete(instanceId);
      return;
    }
    const current = this.#entries.get(instanceId);
    if (current && !identityChanged(current.identity, identity)) return;
    this.#entries.set(instanceId, meEntry(identity));
  }

  drop(instanceId: string): void {
    this.#entries.delete(instanceId);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

import type { Logger } from 'pino';
import type { EngineIdentity } from '../engine/index.ts';
import type { InstanceStore } from '../store/index.ts';
import type { IdentityRecord } from '../domain/index.ts';
import { IdentityCache, type MeEntry } from '../identity/index.ts';
import { InstanceGoneError, type StatusRecorder } from './status-recorder.ts';
import type { SessionStatus } from '../domain/index.ts';

/**
 * Who is linked on each instance, as the session manager learns it from the engine: the intent check on open
 * (`expected_phone`), identity changes while WORKING (push name synced, renamed), and the in-memory /me cache kept
 * in step with every recorded change. The manager still owns the lifecycle; this module only tells it which event
 * an open stands for and keeps the cache honest.
 */

/** Extras the manager passes along with a lifecycle event (the identity to save, events of the same change). */
export interface ApplyExtra {
  live?: EngineIdentity;
  extraEvents?: Array<{ event: string; payload: unknown }>;
}

/**
 * expected_phone vs the linked number. Both sides are reduced to their digits and compared exactly: `+`, spaces,
 * dashes, dots, parentheses go; nothing is guessed (no trunk-prefix or `00` removal, no country inference), so the
 * expected number must be written with its country code, as WhatsApp's JIDs are. Null when they match or no
 * number is expected.
 */
export function phoneMismatch(
  expectedPhone: string | null,
  actualPhone: string,
): { expected: string; actual: string } | null {
  const expected = (expectedPhone ?? '').replace(/\D/g, '');
  if (expected === '') return null;
  const actual = actualPhone.replace(/\D/g, '');
  return expected === actual ? null : { expected, actual };
}

/** What /v2/session/me may say about an instance right now, without the store or the engine. */
export type MeAnswer =
  | { kind: 'working'; entry: MeEntry }
  | { kind: 'not_connected'; status: SessionStatus }
  /** Stored as WORKING but not running on this node (not restored yet, or shutting down): the engine is out of reach. */
  | { kind: 'unreachable' };

export class IdentityTracker {
  readonly cache = new IdentityCache();

  constructor(
    private readonly store: InstanceStore,
    private readonly recorder: StatusRecorder,
    private readonly log: Logger,
  ) {}

  /** The lifecycle event an engine open stands for: `open`, or `identity_mismatch` (with its event) for another number. */
  async openEvent(
    instanceId: string,
    live: EngineIdentity,
  ): Promise<{ event: 'open' | 'identity_mismatch'; extra: ApplyExtra }> {
    const instance = await this.store.getInstance(instanceId);
    if (!instance) throw new InstanceGoneError(instanceId);
    const mismatch = phoneMismatch(instance.expectedPhone, live.phone);
    if (!mismatch) return { event: 'open', extra: { live } };
    this.log.warn({ instanceId, ...mismatch }, 'linked number is not the expected one');
    return {
      event: 'identity_mismatch',
      extra: { extraEvents: [{ event: 'session.identity_mismatch', payload: mismatch }] },
    };
  }

  /** The engine reported a new identity while WORKING: store it (and its event), then refresh the cache, in one step. */
  async changed(instanceId: string, live: EngineIdentity): Promise<void> {
    await this.recorder.recordIdentity(instanceId, live, (identity) =>
      this.cache.sync(instanceId, 'WORKING', identity),
    );
  }

  /** A status change was committed: called in the same synchronous step as the runtime status changes. */
  committed(instanceId: string, status: SessionStatus, identity: IdentityRecord | null): void {
    this.cache.sync(instanceId, status, identity);
  }

  /**
   * /me's answer from memory. `runtimeStatus` is this node's view (undefined when it does not run the instance),
   * `storedStatus` the one the request's authentication read.
   */
  answer(instanceId: string, runtimeStatus: SessionStatus | undefined, storedStatus: SessionStatus): MeAnswer {
    const entry = this.cache.get(instanceId);
    if (entry) return { kind: 'working', entry };
    const status = runtimeStatus ?? storedStatus;
    // WORKING without a cached identity only happens when this node does not hold the connection.
    if (status === 'WORKING') return { kind: 'unreachable' };
    return { kind: 'not_connected', status };
  }
}

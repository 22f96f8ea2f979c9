import type { EngineIdentity } from '../engine/index.ts';
import type { EventBus } from '../events/index.ts';
import type { EventEnvelope } from '../events/index.ts';
import { newId } from '../lib/index.ts';
import type { EventRecord, InstanceRecord, Store } from '../store/index.ts';
import type { IdentityRecord } from '../domain/index.ts';
import { envelopeMe, identityChanged, identityRecordFrom, meBody } from '../identity/index.ts';
import type { SessionStatus, StatusReason } from '../domain/index.ts';
import type { LeaseToken } from '../store/index.ts';

/**
 * Writes a status change, the identity change that goes with it and their events in ONE store transaction
 * (docs/architecture.md "What state lives where": "status + reason + history, in the same transaction as its event"), then publishes the
 * committed events on the bus. The outbox row's payload is the complete envelope, so a replay or a webhook
 * redelivery sends byte-for-byte the same event (same id, same timestamp) as the live one.
 */

export type IdentityOp = { op: 'keep' } | { op: 'save'; live: EngineIdentity } | { op: 'stale' } | { op: 'clear' };

export interface StatusWrite {
  instanceId: string;
  status: SessionStatus;
  reason: StatusReason;
  identity: IdentityOp;
  /** Further events of the same change, e.g. session.identity_mismatch. */
  extraEvents?: Array<{ event: string; payload: unknown }>;
  /**
   * Called synchronously once the transaction committed and before any event is published, with the identity
   * after the change: in-memory views (runtime status, the /me cache) change in the same tick as the store's,
   * so a bus subscriber can never observe the new status next to an old in-memory answer.
   */
  committed?: Committed;
}

export type Committed = (identity: IdentityRecord | null) => void;

export class InstanceGoneError extends Error {
  constructor(readonly instanceId: string) {
    super(`instance ${instanceId} does not exist`);
    this.name = 'InstanceGoneError';
  }
}

/** An event appended in a transaction, to publish on the bus once it committed. */
export interface Pending {
  accountId: string;
  record: EventRecord;
  envelope: EventEnvelope;
}

export class StatusRecorder {
  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly now: () => Date = () => new Date(),
    /** Clustered: the fencing token every write for the instance carries (throws when the lease is not ours). */
    private readonly lease?: (instanceId: string) => LeaseToken,
  ) {}

  /** Records the change; returns the instance as it was before (name, account) and the identity after. */
  async record(write: StatusWrite): Promise<{ instance: InstanceRecord; identity: IdentityRecord | null }> {
    const at = this.now();
    const iso = at.toISOString();
    const { pending, instance, identity } = await this.store.tx(
      async (tx) => {
        const instance = await tx.getInstance(write.instanceId);
        if (!instance) throw new InstanceGoneError(write.instanceId);
        const pending: Pending[] = [];
        const append = async (event: string, payload: unknown, me: EventEnvelope['me']): Promise<void> => {
          pending.push(await appendEnvelope(tx, instance, event, payload, me, at));
        };

        const before = await tx.getIdentity(write.instanceId);
        let identity = before;
        switch (write.identity.op) {
          case 'save':
            identity = identityRecordFrom(write.identity.live, before, iso);
            await tx.saveIdentity(write.instanceId, identity);
            break;
          case 'stale':
            if (before && !before.stale) {
              identity = { ...before, stale: true, lastSeenAt: iso };
              await tx.saveIdentity(write.instanceId, identity);
            }
            break;
          case 'clear':
            if (before) await tx.clearIdentity(write.instanceId);
            identity = null;
            break;
          case 'keep':
            break;
        }

        await tx.recordStatus(write.instanceId, { status: write.status, reason: write.reason, at: iso });
        // `me` stays on disconnect-type changes (who was linked) and goes away when the link is cleared.
        const me = envelopeMe(identity);
        await append('session.status', { name: instance.name, status: write.status, reason: write.reason }, me);
        if (write.identity.op === 'save' && identity && identityChanged(before, identity)) {
          await append('session.identity', meBody(identity, 'live'), me);
        }
        for (const extra of write.extraEvents ?? []) await append(extra.event, extra.payload, me);
        return { pending, instance, identity };
      },
      { lease: this.lease?.(write.instanceId) },
    );
    write.committed?.(identity);
    this.#publish(pending);
    return { instance, identity };
  }

  /** Identity changed while WORKING (push name synced, renamed): save, and announce it when it differs. */
  async recordIdentity(
    instanceId: string,
    live: EngineIdentity,
    committed?: Committed,
  ): Promise<IdentityRecord | null> {
    const at = this.now();
    const { pending, identity } = await this.store.tx(
      async (tx) => {
        const instance = await tx.getInstance(instanceId);
        if (!instance) throw new InstanceGoneError(instanceId);
        const before = await tx.getIdentity(instanceId);
        const identity = identityRecordFrom(live, before, at.toISOString());
        await tx.saveIdentity(instanceId, identity);
        const pending: Pending[] = [];
        if (identityChanged(before, identity)) {
          pending.push(
            await appendEnvelope(tx, instance, 'session.identity', meBody(identity, 'live'), envelopeMe(identity), at),
          );
        }
        return { pending, identity };
      },
      { lease: this.lease?.(instanceId) },
    );
    committed?.(identity);
    this.#publish(pending);
    return identity;
  }

  #publish(pending: Pending[]): void {
    for (const p of pending) this.bus.publish({ accountId: p.accountId, seq: p.record.seq, envelope: p.envelope });
  }
}

/** Appends one event (the full envelope as payload) in `tx`; also used for message events (src/messaging). */
export async function appendEnvelope(
  tx: Store,
  instance: InstanceRecord,
  event: string,
  payload: unknown,
  me: EventEnvelope['me'],
  at: Date,
): Promise<Pending> {
  const envelope: EventEnvelope = {
    id: newId('evt'),
    timestamp: at.getTime(),
    session: instance.id,
    instance_id: instance.id,
    engine: 'BAILEYS',
    event,
    payload,
    me,
  };
  const record = await tx.appendEvent({
    id: envelope.id,
    accountId: instance.accountId,
    instanceId: instance.id,
    event,
    payload: envelope,
    createdAt: at.toISOString(),
  });
  return { accountId: instance.accountId, record, envelope };
}

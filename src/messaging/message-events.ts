import type { Logger } from 'pino';
import type { EngineAck, EngineAckLevel, EngineMessage } from '../engine/index.ts';
import type { EventBus } from '../events/index.ts';
import { envelopeMe } from '../identity/index.ts';
import { KeyedSerialQueue } from '../lib/index.ts';
import { appendEnvelope, type Pending } from '../sessions/index.ts';
import type { Store } from '../store/index.ts';
import { toCus } from './chat-id.ts';
import type { LeaseOf } from './outbound-sender.ts';

/**
 * Inbound `message` and `message.ack` events (docs/http-api.md "Events" payloads) into the durable outbox, then onto the bus, exactly as
 * session events are: the outbox row's payload is the whole envelope, so webhooks, WebSocket/SSE replays and
 * redeliveries all carry the same bytes. One instance's events are written one at a time, in the order the engine
 * reported them, so outbox order is arrival order.
 */

export type AckName = 'PENDING' | 'SERVER' | 'DEVICE' | 'READ';
export const ACK_NAMES: Record<0 | EngineAckLevel, AckName> = { 0: 'PENDING', 1: 'SERVER', 2: 'DEVICE', 3: 'READ' };

export interface MessagePayload {
  id: string;
  timestamp: number;
  from: string;
  fromMe: boolean;
  to: string;
  body: string;
  hasMedia: false;
  ack: number;
  ackName: AckName;
  replyTo: string | null;
  pushName: string | null;
}

/** An inbound text has reached this device: that is WhatsApp's DEVICE level from our side. */
const INBOUND_ACK: EngineAckLevel = 2;

export function messagePayload(m: EngineMessage): MessagePayload {
  return {
    id: m.id,
    timestamp: m.timestamp,
    from: toCus(m.from),
    fromMe: m.fromMe,
    to: toCus(m.to),
    body: m.body,
    hasMedia: false,
    ack: INBOUND_ACK,
    ackName: ACK_NAMES[INBOUND_ACK],
    replyTo: m.replyTo,
    pushName: m.pushName,
  };
}

export function ackPayload(a: EngineAck): { id: string; from: string; to: string; ack: number; ackName: AckName } {
  return { id: a.id, from: toCus(a.from), to: toCus(a.to), ack: a.ack, ackName: ACK_NAMES[a.ack] };
}

export class MessageEventRecorder {
  readonly #queue = new KeyedSerialQueue();

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
    /** Several nodes: events are written under the instance's lease (docs/multi-node.md "Fencing"). */
    private readonly leaseOf?: LeaseOf,
  ) {}

  message(instanceId: string, message: EngineMessage): Promise<void> {
    return this.#record(instanceId, 'message', messagePayload(message));
  }

  ack(instanceId: string, ack: EngineAck): Promise<void> {
    return this.#record(instanceId, 'message.ack', ackPayload(ack));
  }

  /** Resolves when everything handed over so far is written (shutdown, tests). */
  idle(instanceId: string): Promise<void> {
    return this.#queue.run(instanceId, async () => undefined);
  }

  #record(instanceId: string, event: string, payload: unknown): Promise<void> {
    return this.#queue
      .run(instanceId, async () => {
        const at = this.now();
        const pending = await this.store.tx(
          async (tx): Promise<Pending | null> => {
            const instance = await tx.getInstance(instanceId);
            if (!instance) return null; // deleted meanwhile: nobody to tell
            const me = envelopeMe(await tx.getIdentity(instanceId));
            return appendEnvelope(tx, instance, event, payload, me, at);
          },
          { lease: this.leaseOf?.(instanceId) },
        );
        if (pending)
          this.bus.publish({ accountId: pending.accountId, seq: pending.record.seq, envelope: pending.envelope });
      })
      .catch((err: unknown) => this.log.error({ err, instanceId, event }, 'could not record a message event'));
  }
}

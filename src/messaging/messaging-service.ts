import type { Logger } from 'pino';
import type { EngineIdentity } from '../engine/index.ts';
import type { EventBus } from '../events/index.ts';
import type { MeAnswer } from '../sessions/index.ts';
import type { StatusSnapshot } from '../sessions/index.ts';
import type { SessionStatus } from '../domain/index.ts';
import { InvalidStateError } from '../sessions/index.ts';
import type { InstanceRecord, Store } from '../store/index.ts';
import { ChatActions, requireWorking } from './chat-actions.ts';
import type { ChatAddress } from './chat-id.ts';
import type { EngineTap } from './engine-message-tap.ts';
import { MessageEventRecorder } from './message-events.ts';
import { OutboundSender, type LeaseOf, type SenderOptions } from './outbound-sender.ts';
import { renderSignature } from './text-signature.ts';

/**
 * Messaging for the HTTP layer: POST /v2/send/text (sign, queue durably, send), and the inbound `message` /
 * `message.ack` events. The session manager stays the authority on status and identity; this service only reads it.
 *
 * A send is written to the queue BEFORE it is answered, under the WhatsApp id it will carry. The request then waits
 * up to `sendWaitMs` for the sender to hand it to WhatsApp, so the usual answer reports a message that has really
 * left; when the rate limit or a reconnect holds it longer, the answer is the same 201 with the same id, and the
 * message follows from the queue (across a restart too).
 */

/** What messaging reads of the session layer (SessionManager). */
export interface SessionView {
  /** Non-null exactly while the instance is WORKING on this node. */
  liveIdentity(instanceId: string): EngineIdentity | null;
  status(instanceId: string): Promise<StatusSnapshot | null>;
  me(instanceId: string, storedStatus: SessionStatus): MeAnswer;
}

export interface MessagingOptions {
  sender?: Partial<SenderOptions>;
  /** How long POST /v2/send/text waits for the send itself before answering from the queue. Default 10 s. */
  sendWaitMs?: number;
  /** Several nodes: how often the sender looks for rows other nodes queued (outbound sweep). Default 2 s. */
  sweepEveryMs?: number;
}

export interface SendInput {
  chat: ChatAddress;
  text: string;
  replyTo: string | null;
}

export interface SendAnswer {
  id: string;
  chatId: string;
  body: string;
  /** Unix seconds: WhatsApp's time of the sent message, or when it was queued. */
  timestamp: number;
  ack: 0;
  ackName: 'PENDING';
  warnings: string[];
}

/** The engine refused the message for good (retries exhausted while the answer was awaited). */
export class SendFailedError extends Error {
  constructor(readonly lastError: string | null) {
    super(`the message could not be sent: ${lastError ?? 'unknown error'}`);
    this.name = 'SendFailedError';
  }
}

export { EngineUnreachableError } from './chat-actions.ts';

export class MessagingService {
  readonly sender: OutboundSender;
  readonly events: MessageEventRecorder;
  /** Typing indicators and read receipts. */
  readonly chats: ChatActions;
  readonly #store: Store;
  readonly #sessions: SessionView;
  readonly #engine: EngineTap;
  readonly #sendWaitMs: number;
  readonly #unsubscribe: () => void;

  constructor(deps: {
    store: Store;
    bus: EventBus;
    tap: EngineTap;
    sessions: SessionView;
    logger: Logger;
    options?: MessagingOptions;
    /** Several nodes: the lease token that fences every write made for an instance (docs/multi-node.md "Fencing"). */
    lease?: LeaseOf;
  }) {
    const { store, bus, tap, sessions, logger, options = {} } = deps;
    this.#store = store;
    this.#sessions = sessions;
    this.#engine = tap;
    this.#sendWaitMs = options.sendWaitMs ?? 10_000;
    this.events = new MessageEventRecorder(store, bus, logger, undefined, deps.lease);
    this.chats = new ChatActions(sessions, tap);
    this.sender = new OutboundSender(
      store,
      (id) => (sessions.liveIdentity(id) ? tap.openSession(id) : null),
      logger,
      options.sender,
      undefined,
      deps.lease ?? null,
    );
    if (deps.lease) this.sender.sweepEvery(options.sweepEveryMs ?? 2_000);
    tap.listen({
      message: (id, message) => void this.events.message(id, message),
      ack: (id, ack) => void this.events.ack(id, ack),
    });
    // Every WORKING drains what is queued (boot restore, reconnects). The bus speaks right after the commit, before
    // the manager's runtime shows the new status, so look one turn later.
    this.#unsubscribe = bus.subscribe(({ envelope }) => {
      const payload = envelope.payload as { status?: string } | null;
      if (envelope.event === 'session.status' && payload?.status === 'WORKING') {
        setImmediate(() => this.sender.kick(envelope.instance_id));
      }
    });
  }

  async send(instance: InstanceRecord, input: SendInput): Promise<SendAnswer> {
    const live = await requireWorking(this.#sessions, instance);
    const { queued, answer } = await this.#enqueue(instance, input, this.#pushName(instance.id, live), live.phone);
    this.sender.kick(instance.id);
    const settled = await this.sender.settled(queued.id, this.#sendWaitMs);
    if (settled?.status === 'failed') throw new SendFailedError(settled.lastError);
    return settled?.waTimestamp != null ? { ...answer, timestamp: settled.waTimestamp } : answer;
  }

  /**
   * Several nodes, the instance's owner lost while WORKING (docs/multi-node.md "Forwarding"): the text is queued here,
   * durably, signed with the stored identity, and answered from the queue (as when a reconnect holds a send); the node
   * that takes the instance over sends it when it is WORKING again (every WORKING drains the queue).
   */
  async queueForLostOwner(instance: InstanceRecord, input: SendInput): Promise<SendAnswer> {
    const stored = await this.#store.getIdentity(instance.id);
    if (!stored) throw new InvalidStateError('STARTING');
    const pushName = stored.pushName ?? stored.businessName ?? `+${stored.phoneJid.split('@')[0]}`;
    return (await this.#enqueue(instance, input, pushName, stored.phoneJid.split('@')[0]!)).answer;
  }

  async #enqueue(instance: InstanceRecord, input: SendInput, pushName: string, phone: string) {
    // The signature as configured right now (another node may have changed it since the request authenticated).
    const current = (await this.#store.getInstance(instance.id)) ?? instance;
    const signature = renderSignature(current.signature, { pushName, phone });
    const body = input.text + signature.text;
    const queued = await this.#store.outbound.enqueue({
      id: this.#engine.engine.newMessageId(),
      instanceId: instance.id,
      accountId: instance.accountId,
      chatJid: input.chat.jid,
      body,
      replyTo: input.replyTo,
    });
    const answer: SendAnswer = {
      id: queued.id,
      chatId: input.chat.chatId,
      body,
      timestamp: Math.floor(Date.parse(queued.createdAt) / 1000),
      ack: 0,
      ackName: 'PENDING',
      warnings: signature.warnings,
    };
    return { queued, answer };
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    await this.sender.close();
  }

  /** {{pushName}}: the live /me name, else its displayName (business name or +digits). */
  #pushName(instanceId: string, live: EngineIdentity): string {
    const me = this.#sessions.me(instanceId, 'WORKING');
    if (me.kind === 'working') return me.entry.body.pushName ?? me.entry.body.displayName;
    return live.pushName ?? live.businessName ?? `+${live.phone}`;
  }
}

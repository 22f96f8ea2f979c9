import type { EngineIdentity, EngineSession, EngineTyping } from '../engine/index.ts';
import { EngineRequestError, InvalidStateError, type StatusSnapshot } from '../sessions/index.ts';
import type { InstanceRecord } from '../store/index.ts';
import type { ChatAddress } from './chat-id.ts';
import type { EngineTap } from './engine-message-tap.ts';

/**
 * Typing indicators and read receipts (Wawp's send/start-typing, send/stop-typing, send/seen and their v1 names).
 * They are momentary, so unlike texts nothing is queued: they need the instance WORKING on this node, now.
 */

/** Stored as WORKING, but this node holds no connection for it (another node, or not restored yet). */
export class EngineUnreachableError extends Error {
  constructor(readonly instanceId: string) {
    super(`instance ${instanceId} is not connected on this node`);
    this.name = 'EngineUnreachableError';
  }
}

/** What these actions read of the session layer. */
interface LiveView {
  liveIdentity(instanceId: string): EngineIdentity | null;
  status(instanceId: string): Promise<StatusSnapshot | null>;
}

/** The live identity of a WORKING instance; otherwise 409 (its status) or, when WORKING elsewhere, unreachable. */
export async function requireWorking(sessions: LiveView, instance: InstanceRecord): Promise<EngineIdentity> {
  const live = sessions.liveIdentity(instance.id);
  if (live) return live;
  const status = (await sessions.status(instance.id))?.status ?? instance.status;
  if (status === 'WORKING') throw new EngineUnreachableError(instance.id);
  throw new InvalidStateError(status);
}

export interface TypingAnswer {
  chatId: string;
  /** What the contact now sees: composing ("typing…") or paused (nothing). */
  state: EngineTyping;
}

export interface SeenAnswer {
  chatId: string;
  /** The messages a read receipt was sent for (with only a chat: its unread messages; may be empty). */
  messageIds: string[];
}

/** The engine could not do it (the connection closed under the request): 502, like a failed pairing-code request. */
const engineRequest = <T>(what: string, pending: Promise<T>): Promise<T> =>
  pending.catch((err: unknown) => Promise.reject(new EngineRequestError(what, err)));

export class ChatActions {
  constructor(
    private readonly sessions: LiveView,
    private readonly tap: EngineTap,
  ) {}

  async typing(instance: InstanceRecord, chat: ChatAddress, state: EngineTyping): Promise<TypingAnswer> {
    const session = await this.#session(instance);
    await engineRequest('typing', session.sendTyping(chat.jid, state));
    return { chatId: chat.chatId, state };
  }

  async seen(instance: InstanceRecord, chat: ChatAddress, messageIds: readonly string[] | null): Promise<SeenAnswer> {
    const session = await this.#session(instance);
    const marked = await engineRequest('read receipt', session.markRead(chat.jid, messageIds));
    return { chatId: chat.chatId, messageIds: marked };
  }

  async #session(instance: InstanceRecord): Promise<EngineSession> {
    await requireWorking(this.sessions, instance);
    const session = this.tap.openSession(instance.id);
    if (!session) throw new EngineUnreachableError(instance.id);
    return session;
  }
}

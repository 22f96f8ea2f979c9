import type { AuthKeyValue } from '../../domain/index.ts';
import {
  EngineSession,
  EngineSessionClosedError,
  type EngineClose,
  type EngineIdentity,
  type EngineSent,
  type EngineSessionEvents,
  type EngineTextMessage,
  type EngineTyping,
} from '../engine.ts';
import type { SessionMethod, WireError } from './protocol.ts';

/** How a RemoteSession reaches its worker (an EngineWorker). */
export interface SessionLink {
  call(
    sid: number,
    method: SessionMethod,
    args: unknown[],
  ): Promise<{ value: unknown; identity: EngineIdentity | null }>;
}

/** An error from the worker as the class the engine contract names (EngineSessionClosedError, RangeError…). */
export function fromWireError(error: WireError): Error {
  if (error.name === 'EngineSessionClosedError') return new EngineSessionClosedError(error.message);
  const Known = { RangeError, TypeError }[error.name];
  if (Known) return new Known(error.message);
  return Object.assign(new Error(error.message), { name: error.name });
}

/**
 * The main thread's face of a session hosted by an engine worker: methods are requests over the worker's port,
 * events are the worker session's, re-emitted. identity() answers synchronously from the identity the worker sent
 * with its latest event or answer — the worker sends it after every open, identity change and close, so it is never
 * behind what the session has emitted, which is all the sessions layer reads it against (liveIdentity while WORKING).
 * Once closed, the session answers here, as BaileysSession does for a closed session.
 */
export class RemoteSession extends EngineSession {
  readonly sid: number;
  readonly auth: AuthKeyValue;
  readonly #link: SessionLink;
  #identity: EngineIdentity | null = null;
  #closed = false;

  constructor(link: SessionLink, sid: number, auth: AuthKeyValue) {
    super();
    this.#link = link;
    this.sid = sid;
    this.auth = auth;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  identity(): EngineIdentity | null {
    return this.#identity;
  }

  requestPairingCode(phone: string): Promise<string> {
    return this.#call('requestPairingCode', [phone]) as Promise<string>;
  }

  sendText(message: EngineTextMessage): Promise<EngineSent> {
    return this.#call('sendText', [message]) as Promise<EngineSent>;
  }

  async sendTyping(to: string, state: EngineTyping): Promise<void> {
    await this.#call('sendTyping', [to, state]);
  }

  markRead(chat: string, ids: readonly string[] | null): Promise<string[]> {
    return this.#call('markRead', [chat, ids]) as Promise<string[]>;
  }

  async logout(): Promise<void> {
    await this.#call('logout', []);
  }

  async end(): Promise<void> {
    await this.#call('end', []);
  }

  /** An event of the worker's session, with the identity it had right after. */
  deliver(name: keyof EngineSessionEvents, arg: unknown, identity: EngineIdentity | null): void {
    if (this.#closed) return;
    this.#identity = identity;
    if (name === 'close') this.#closed = true;
    (this.emit as (n: string, a: unknown) => boolean)(name, arg);
  }

  /** The worker died: the session is gone, and the sessions layer's reconnect policy takes over. */
  lost(message: string): void {
    const close: EngineClose = { reason: 'connection_lost', transient: true, message };
    this.deliver('close', close, this.#identity);
  }

  async #call(method: SessionMethod, args: unknown[]): Promise<unknown> {
    if (this.#closed) return this.#whenClosed(method);
    try {
      const { value, identity } = await this.#link.call(this.sid, method, args);
      this.#identity = identity;
      return value;
    } catch (err) {
      // The session closed while the request travelled: answer as a closed session.
      if ((err as Error).name === 'EngineSessionGone') return this.#whenClosed(method);
      throw err;
    }
  }

  /** BaileysSession's answers once closed: end is done, logout forgets the credentials, the rest is refused. */
  async #whenClosed(method: SessionMethod): Promise<unknown> {
    if (method === 'end') return undefined;
    if (method === 'logout') {
      this.#identity = null;
      await this.auth.clear();
      return undefined;
    }
    throw new EngineSessionClosedError();
  }
}

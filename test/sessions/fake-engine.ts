import {
  EngineSession,
  type Engine,
  type EngineClose,
  type EngineCloseReason,
  type EngineIdentity,
  type EngineSent,
  type EngineStartOptions,
  type EngineTextMessage,
  type EngineTyping,
} from '../../src/engine/index.ts';
import type { AuthKeyValue } from '../../src/domain/index.ts';

/**
 * A scripted Engine for unit tests of the session policy: every start() creates a FakeSession the test drives
 * by hand (qr / open / close), and records what the manager asked of it (end, logout, pairing codes).
 */

export const IDENTITY: EngineIdentity = Object.freeze({
  deviceJid: '201012345678:1@s.whatsapp.net',
  phone: '201012345678',
  lid: '123456789012345@lid',
  pushName: 'John Doe',
  businessName: null,
  platform: 'android',
});

export class FakeSession extends EngineSession {
  ended = false;
  loggedOut = false;
  closed = false;
  pairingPhones: string[] = [];
  /** Texts sendText accepted, in order. */
  sent: EngineTextMessage[] = [];
  /** When set, sendText throws this (e.g. a connection that just dropped). */
  failSend: Error | null = null;
  linked: EngineIdentity | null;

  constructor(
    readonly opts: EngineStartOptions,
    linked: EngineIdentity | null,
  ) {
    super();
    this.linked = linked;
  }

  qr(value = `https://wa.me/settings/linked_devices#ref${Math.random()},n,i,a,1`, expiry = Date.now() + 60_000): this {
    this.emit('qr', { value, expiry });
    return this;
  }

  /** Simulates a completed pairing (or login): writes creds like the real engine, then opens. */
  async open(identity: EngineIdentity = IDENTITY): Promise<this> {
    await this.opts.auth.set([{ type: 'creds', id: 'me', value: JSON.stringify(identity) }]);
    this.linked = identity;
    this.emit('open', identity);
    return this;
  }

  close(reason: EngineCloseReason, transient = reason === 'connection_lost'): this {
    if (this.closed) return this;
    this.closed = true;
    const close: EngineClose = { reason, transient, message: reason };
    this.emit('close', close);
    return this;
  }

  async requestPairingCode(phone: string): Promise<string> {
    this.pairingPhones.push(phone);
    return 'ABCD-1234';
  }

  async logout(): Promise<void> {
    this.loggedOut = true;
    await this.opts.auth.clear();
    this.linked = null;
    this.close('logged_out', false);
  }

  async end(): Promise<void> {
    this.ended = true;
    this.close('stopped', false);
  }

  identity(): EngineIdentity | null {
    return this.linked;
  }

  async sendText(message: EngineTextMessage): Promise<EngineSent> {
    if (this.failSend) throw this.failSend;
    if (this.closed) throw new Error('closed');
    this.sent.push(message);
    return { id: message.id, timestamp: Math.floor(Date.now() / 1000) };
  }

  /** Typing states and read receipts this session was asked to send, in order. */
  chatStates: Array<{ to: string; state: EngineTyping }> = [];
  reads: Array<{ chat: string; ids: readonly string[] | null }> = [];

  async sendTyping(to: string, state: EngineTyping): Promise<void> {
    if (this.closed) throw new Error('closed');
    this.chatStates.push({ to, state });
  }

  async markRead(chat: string, ids: readonly string[] | null): Promise<string[]> {
    if (this.closed) throw new Error('closed');
    this.reads.push({ chat, ids });
    return [...(ids ?? [])];
  }
}

export class FakeEngine implements Engine {
  readonly name = 'BAILEYS' as const;
  readonly sessions: FakeSession[] = [];
  /** Called on every start (e.g. to script an immediate qr). */
  onStart: ((session: FakeSession) => void) | null = null;
  /** When set, start() throws this. */
  failStart: Error | null = null;
  #waiters: Array<() => void> = [];

  start(opts: EngineStartOptions): FakeSession {
    if (this.failStart) throw this.failStart;
    const session = new FakeSession(opts, null);
    this.sessions.push(session);
    // Like the real engine, events come after start() returns.
    queueMicrotask(() => {
      this.onStart?.(session);
      for (const w of this.#waiters.splice(0)) w();
    });
    return session;
  }

  async isLinked(auth: AuthKeyValue): Promise<boolean> {
    return Object.keys(await auth.get('creds', ['me'])).length > 0;
  }

  #ids = 0;
  newMessageId(): string {
    return `FAKE${String(++this.#ids).padStart(6, '0')}`;
  }

  startsFor(instanceId: string): FakeSession[] {
    return this.sessions.filter((s) => s.opts.instanceId === instanceId);
  }

  /** The newest session of the instance, waiting for it to be started. */
  async next(instanceId: string, count: number, timeoutMs = 5000): Promise<FakeSession> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = this.startsFor(instanceId);
      if (list.length >= count) return list[count - 1]!;
      if (Date.now() > deadline) throw new Error(`engine start #${count} of ${instanceId} did not happen`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

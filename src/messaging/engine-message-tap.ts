import type { Engine, EngineAck, EngineMessage, EngineSession } from '../engine/index.ts';

/**
 * Messaging's view of the engine, without the session manager knowing about messages: a wrapper around the Engine
 * the manager is given, which sees every session it starts. It forwards message and ack events (from any session:
 * a message that arrives while an old connection winds down is still a real message) and remembers, per instance,
 * the session that opened last and has not closed: the one to send through.
 */

export interface TapListener {
  message(instanceId: string, message: EngineMessage): void;
  ack(instanceId: string, ack: EngineAck): void;
}

export class EngineTap {
  readonly engine: Engine;
  readonly #open = new Map<string, EngineSession>();
  #listener: TapListener | null = null;

  constructor(inner: Engine) {
    this.engine = {
      name: inner.name,
      isLinked: (auth) => inner.isLinked(auth),
      newMessageId: () => inner.newMessageId(),
      start: (opts) => {
        const session = inner.start(opts);
        const id = opts.instanceId;
        session.on('open', () => this.#open.set(id, session));
        session.on('close', () => {
          if (this.#open.get(id) === session) this.#open.delete(id);
        });
        session.on('message', (message) => this.#listener?.message(id, message));
        session.on('ack', (ack) => this.#listener?.ack(id, ack));
        return session;
      },
    };
  }

  /** One listener (the messaging service); set before sessions start. */
  listen(listener: TapListener): void {
    this.#listener = listener;
  }

  /** The instance's open session, or null. Whether the instance may send is the session manager's call (WORKING). */
  openSession(instanceId: string): EngineSession | null {
    return this.#open.get(instanceId) ?? null;
  }
}

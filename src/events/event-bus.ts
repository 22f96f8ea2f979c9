import { EventEmitter } from 'node:events';
import type { EventEnvelope } from './envelope.ts';

/**
 * In-process fan-out of events that are already durable in the outbox. Subscribers (webhook dispatcher,
 * WebSocket/SSE streams, tests) get the envelope plus the owning account, so streams can filter by tenant.
 */
export interface BusMessage {
  accountId: string;
  seq: number;
  envelope: EventEnvelope;
}

/** Where live readers (the SSE/WebSocket feed) take events from: the bus, or on PostgreSQL every node's outbox. */
export interface EventSource {
  subscribe(listener: (message: BusMessage) => void): () => void;
}

export class EventBus implements EventSource {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  publish(message: BusMessage): void {
    this.#emitter.emit('event', message);
  }

  subscribe(listener: (message: BusMessage) => void): () => void {
    this.#emitter.on('event', listener);
    return () => this.#emitter.off('event', listener);
  }
}

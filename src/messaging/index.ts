/** Messaging: sending texts through the durable outbound queue, inbound message and ack events, chat ids. */
export * from './messaging-service.ts';
export * from './engine-message-tap.ts';
export * from './chat-id.ts';

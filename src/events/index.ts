/** Events in flight: the envelope, the in-process bus that publishes committed outbox events, and the live feed (outbox replay + bus) behind SSE/WebSocket streams. */
export * from './envelope.ts';
export * from './event-bus.ts';
export * from './live-feed.ts';
export * from './stream-guard.ts';
export * from './cluster-event-source.ts';

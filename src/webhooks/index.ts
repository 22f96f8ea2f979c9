/** Webhook subscriptions (URL checks, secrets) and delivery: the outbox dispatcher, signed POSTs, retries. */
export * from './subscriptions.ts';
export * from './outbox-dispatcher.ts';
export * from './hmac-signature.ts';

/** Shared domain vocabulary that the store, the engine and the services all import: session statuses and reasons, the identity record, the auth key/value view. */
export * from './session-status.ts';
export * from './identity.ts';
export * from './auth-key-value.ts';

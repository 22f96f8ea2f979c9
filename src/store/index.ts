/** Persistence: the store contract (one interface per concern), opening SQLite or PostgreSQL, the master key and the auth-state vault. */
export * from './store.ts';
export * from './webhooks-store.ts';
export * from './outbound-store.ts';
export * from './open.ts';
export * from './master-key.ts';
export * from './auth-vault.ts';
export * from './store-logger.ts';
export * from './file-modes.ts';
export * from './cluster-types.ts';
export * from './database-unavailable.ts';

/** Accounts, access tokens, the admin token, the instance registry and the auth cache. */
export * from './accounts.ts';
export * from './tokens.ts';
export * from './admin-token.ts';
export * from './auth-cache.ts';
export * from './instance-registry.ts';

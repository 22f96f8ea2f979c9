/** Who is logged in on an instance: the identity record's derived views (/me body, envelope me, platform) and the /me cache. */
export * from './identity-record.ts';
export * from './identity-cache.ts';
export * from './platform.ts';
export * from './shared-identity-cache.ts';

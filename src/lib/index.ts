/** Generic helpers with no knowledge of WhatsApp, HTTP or storage. */
export * from './backoff.ts';
export * from './chunks.ts';
export * from './group-commit.ts';
export * from './ids.ts';
export * from './rate-limiter.ts';
export * from './serial-queue.ts';
export * from './timer-waits.ts';
export * from './coalesced-run.ts';

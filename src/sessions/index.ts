/** Session lifecycle: the manager (commands, boot restore, watchdog, backoff) over the engine, its status recorder and errors. */
export * from './manager.ts';
export * from './manager-options.ts';
export * from './session-errors.ts';
export * from './identity-tracker.ts';
export * from './status-recorder.ts';

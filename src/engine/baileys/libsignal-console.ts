import type { Logger } from 'pino';

/**
 * libsignal (Baileys' Signal implementation) reports on the global console, and one of its lines,
 * `console.info("Closing session:", session)`, prints a whole session record: root key, chain keys and the
 * ephemeral PRIVATE key, on stdout, next to our JSON logs. This filter, installed once with the engine, turns
 * libsignal's known lines into debug log entries carrying only their text; the objects they carry are dropped.
 * Everything else written to the console passes through untouched.
 */
const LIBSIGNAL_LINES = [
  'Closing session:',
  'Closing open session in favor of incoming prekey bundle',
  'Closing stale open session',
  'Session already closed',
  'Migrating session to:',
  'Decrypted message with closed session.',
  'Failed to decrypt message with any known session',
  'Session error:',
  'V1 session storage migration error',
  'Unhandled bucket type',
  'WARNING: Expected pubkey of length 33',
] as const;

type ConsoleLike = Pick<Console, 'log' | 'info' | 'warn' | 'error'>;
const installed = new WeakSet<object>();

export function isLibsignalLine(first: unknown): boolean {
  return typeof first === 'string' && LIBSIGNAL_LINES.some((prefix) => first.startsWith(prefix));
}

export function quietLibsignal(logger: Logger, target: ConsoleLike = console): void {
  if (installed.has(target)) return;
  installed.add(target);
  for (const level of ['log', 'info', 'warn', 'error'] as const) {
    const original = target[level].bind(target);
    target[level] = (...args: unknown[]) => {
      if (isLibsignalLine(args[0])) {
        // The text only (cut at the first newline): never the session objects that follow it.
        logger.debug({ module: 'libsignal' }, String(args[0]).split('\n')[0]!.slice(0, 200));
        return;
      }
      original(...args);
    };
  }
}

import type { Logger } from 'pino';

/**
 * libsignal (Baileys' Signal implementation) reports on the global console, and several of its lines print whole
 * session records (root key, chain keys, the ephemeral PRIVATE key): `"Closing session:"`, `"Opening session:"`,
 * `"Removing old closed session:"` (which a peer can trigger at will by sending repeated pre-key messages until a
 * contact has more than 40 sessions), `"Session already closed"`. A list of known lines is bound to miss the next
 * one, so the filter decides by WHO calls: any console call made from libsignal's own code (its stack frame lies in
 * a `node_modules/libsignal/` directory), with any method, becomes a debug log entry carrying only its leading text;
 * every object it passes is dropped. The known prefixes stay as a second test, for a copy of libsignal bundled
 * under another name. Everything else written to the console passes through untouched.
 */
const LIBSIGNAL_LINES = [
  'Closing session:',
  'Opening session:',
  'Removing old closed session:',
  'Closing open session in favor of incoming prekey bundle',
  'Closing stale open session',
  'Session already closed',
  'Session already open',
  'Migrating session to:',
  'Decrypted message with closed session.',
  'Failed to decrypt message with any known session',
  'Session error:',
  'V1 session storage migration error',
  'Unhandled bucket type',
  'WARNING: Expected pubkey of length 33',
] as const;

/** Every console method that writes something a library could hand an object to. */
const METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir'] as const;
type ConsoleLike = Partial<Pick<Console, (typeof METHODS)[number]>>;

const installed = new WeakSet<object>();
const LIBSIGNAL_FRAME = /[\\/]node_modules[\\/]libsignal[\\/]/;

export function isLibsignalLine(first: unknown): boolean {
  return typeof first === 'string' && LIBSIGNAL_LINES.some((prefix) => first.startsWith(prefix));
}

/** True when the code that called `wrapper` lives in libsignal's package (the first stack frame below `wrapper`). */
function calledFromLibsignal(wrapper: (...args: unknown[]) => void): boolean {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  try {
    Error.captureStackTrace(holder, wrapper);
  } finally {
    Error.stackTraceLimit = limit;
  }
  return LIBSIGNAL_FRAME.test(holder.stack ?? '');
}

/** The leading text of a console call: its first argument when that is a string, up to the first newline. */
function textOf(method: string, first: unknown): string {
  const text = typeof first === 'string' ? first.split('\n')[0]!.slice(0, 200) : '';
  return text || `(console.${method} without text)`;
}

export function quietLibsignal(logger: Logger, target: ConsoleLike = console): void {
  if (installed.has(target)) return;
  installed.add(target);
  for (const method of METHODS) {
    if (typeof target[method] !== 'function') continue;
    const original = target[method].bind(target) as (...args: unknown[]) => void;
    const wrapper = (...args: unknown[]): void => {
      if (calledFromLibsignal(wrapper) || isLibsignalLine(args[0])) {
        logger.debug({ module: 'libsignal' }, textOf(method, args[0]));
        return;
      }
      original(...args);
    };
    target[method] = wrapper;
  }
}

import type pino from 'pino';
import type { Logger } from 'pino';
import { CERTIFICATE_REFUSED } from './trust.ts';

/**
 * Baileys logs some normal events as warnings or errors. Every pairing ends its first socket with stream error 515
 * "restart required" (docs/whatsapp-protocol.md §5), logged by Baileys as `error` "stream errored out"; an unlink or
 * a replaced connection is the same line with another code; and every socket we end leaves requests in flight that
 * fail with our own "socket ended" error, "Connection Closed" or EPIPE. The session reports what these mean (a
 * status change with a reason), so an operator watching warnings should not see them: they go below warning.
 * Anything else keeps Baileys' level.
 */

type Level = 'debug' | 'info' | 'warn' | 'error';

/** Errors that only say "the socket was closed under this request". */
const CLOSED_UNDERNEATH = /SWITCHBOARD_SOCKET_ENDED|socket ended|Connection Closed|EPIPE/;

function attachedError(obj: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of ['err', 'error', 'trace']) {
    const value = obj[key];
    if (typeof value === 'string') parts.push(value);
    else if (value && typeof value === 'object') {
      const e = value as { code?: unknown; message?: unknown; stack?: unknown };
      parts.push(String(e.code ?? ''), String(e.message ?? ''), String(e.stack ?? ''));
    }
  }
  return parts.join(' ');
}

/** The level an entry Baileys wrote at `level` is logged at. Exported for the tests' table. */
export function expectedLevel(level: 'warn' | 'error', obj: unknown, msg: unknown): Level {
  const fields = obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>) : {};
  const text = typeof msg === 'string' ? msg : typeof obj === 'string' ? obj : '';
  if (text === 'stream errored out') {
    const node = fields.fullErrorNode as { attrs?: { code?: unknown } } | undefined;
    // 515 is part of every pairing; other stream errors end the session, which reports them itself.
    return node?.attrs?.code === '515' ? 'debug' : 'info';
  }
  // Baileys sends a presence on open and skips it until the account's push name is known (right after pairing).
  if (text.startsWith('no name present')) return 'debug';
  if (CLOSED_UNDERNEATH.test(attachedError(fields))) return 'debug';
  // A refused handshake ("error in validating connection" with a stack): the session says it once and plainly
  // (baileys-session.ts #finish), so Baileys' copy goes to debug.
  const err = fields.err as { message?: unknown } | undefined;
  if (typeof err?.message === 'string' && err.message.startsWith(CERTIFICATE_REFUSED)) return 'debug';
  return level;
}

/** A logger for Baileys that writes its expected noise below warning (children too). */
export function demoteExpectedNoise(logger: Logger): Logger {
  return new Proxy(logger, {
    get(target, prop, receiver) {
      if (prop === 'child') {
        return (bindings: pino.Bindings, options?: pino.ChildLoggerOptions) =>
          demoteExpectedNoise(target.child(bindings, options) as Logger);
      }
      if (prop === 'warn' || prop === 'error') {
        return (...args: unknown[]) => {
          const level = expectedLevel(prop, args[0], args[1]);
          (target[level] as (...a: unknown[]) => void)(...args);
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

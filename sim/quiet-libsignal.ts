/**
 * libsignal (under the simulated phones' Signal sessions, through Baileys' repository) writes on the global console,
 * and some of its lines print whole session records, private keys included (`Closing session: SessionEntry {…}` when
 * a contact's session is replaced). A simulator run as the sandbox would put them on the gateway's stdout. So every
 * console call made from libsignal's own code (a stack frame inside a `node_modules/libsignal/` directory) is
 * dropped, whatever its text; everything else passes. sim/ stands alone, so this is its own guard; the gateway's
 * engine has one for its side that keeps the lines' leading text as debug log entries.
 */
const LIBSIGNAL_FRAME = /[\\/]node_modules[\\/]libsignal[\\/]/;
const METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir'] as const;
const guarded = new WeakSet<object>();

export function silenceLibsignal(target: Console = console): void {
  if (guarded.has(target)) return;
  guarded.add(target);
  for (const method of METHODS) {
    const original = target[method] as (...args: unknown[]) => void;
    target[method] = function (this: unknown, ...args: unknown[]) {
      if (!LIBSIGNAL_FRAME.test(new Error().stack ?? '')) original.apply(this, args);
    } as Console[typeof method];
  }
}

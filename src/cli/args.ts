/**
 * Minimal argv parsing for the admin CLI: positionals plus `--flag value` / `--flag=value` / bare `--flag` (true).
 * No dependency: the CLI has four commands.
 */
export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Flags that never take a value, so `--help accounts` does not swallow the next word. */
const BOOLEAN_FLAGS = new Set(['help']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      flags.set('help', true);
    } else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (!name) throw new UsageError(`malformed option ${arg}`);
      if (eq !== -1) flags.set(name, arg.slice(eq + 1));
      else if (BOOLEAN_FLAGS.has(name)) flags.set(name, true);
      else {
        const value = argv[i + 1];
        if (value === undefined || value.startsWith('--')) throw new UsageError(`option --${name} needs a value`);
        flags.set(name, value);
        i++;
      }
    } else {
      positionals.push(arg);
    }
  }
  return { positionals, flags };
}

/** The value of a string flag, or undefined; refuses flags the command does not know. */
export function takeFlags(args: ParsedArgs, allowed: readonly string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of args.flags) {
    if (!allowed.includes(name)) throw new UsageError(`unknown option --${name}`);
    out[name] = value === true ? undefined : value;
  }
  return out;
}

import { readFileSync } from 'node:fs';
import { CONFIG_OPTIONS } from '../config.ts';

/**
 * `switchboard --help`, `help [command]`, `<command> --help` and `--version`: the texts and the dispatch, so a first
 * `npx switchboard --help` explains itself instead of starting a server. Serve's options come from config.ts's
 * flag table (CONFIG_OPTIONS), so the help cannot list a flag the parser does not know.
 */

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const STORE_OPTIONS = `options:
  --data-dir <dir>              SQLite data directory (env SWITCHBOARD_DATA_DIR, default ./data)
  --database-url <postgres://…> use PostgreSQL instead (env DATABASE_URL)`;

function serveHelp(): string {
  const width = Math.max(...CONFIG_OPTIONS.map((o) => o.flag.length + o.value.length)) + 4;
  const lines = CONFIG_OPTIONS.map((o) => {
    const left = `  --${o.flag}${o.value ? ` ${o.value}` : ''}`;
    return `${left.padEnd(width + 2)} ${o.meaning} (env ${o.variable}${o.fallback ? `, default ${o.fallback}` : ''})`;
  });
  return `usage: switchboard [serve] [options]

Starts the gateway (also: npm start). Every option is also an environment variable; flags win.

options:
${lines.join('\n')}`;
}

const HELP: Record<string, () => string> = {
  serve: serveHelp,
  accounts: () => `usage:
  switchboard accounts create --name <name> [--max-instances <n>]   new account and its first access token (shown once)
  switchboard accounts list                                         accounts, without tokens

Works on the store directly; the gateway may be running or stopped. Prints JSON shaped like the admin API.
${STORE_OPTIONS}`,
  tokens: () => `usage:
  switchboard tokens create --account <account_id>   another access token for an account (shown once)
  switchboard tokens revoke <token_id>               the token stops working at once

Works on the store directly; the gateway may be running or stopped. Prints JSON shaped like the admin API.
${STORE_OPTIONS}`,
};

function mainHelp(): string {
  return `Switchboard ${version()}: self-hosted WhatsApp HTTP API gateway, wire-compatible with Wawp.

usage: switchboard <command> [options]

commands:
  serve              start the gateway (the default when no command is given; npm start)
  accounts create    create an account and its first access token
  accounts list      list accounts
  tokens create      create another access token for an account
  tokens revoke      revoke an access token
  help [command]     this text, or a command's options
  --version          print the version

Run "switchboard help <command>" or "switchboard <command> --help" for its options.
Once it runs, the HTTP API is documented at /docs (OpenAPI at /openapi.json).`;
}

const HELP_WORDS = new Set(['help', '--help', '-h']);
const VERSION_WORDS = new Set(['version', '--version', '-v', '-V']);

/**
 * Answers help and version requests: returns the text to print (exit 0), an error line for an unknown topic
 * (exit 2), or null when argv is not a help or version request.
 */
export function helpFor(argv: readonly string[]): { text: string; code: 0 | 2 } | null {
  const [first, second] = argv;
  if (first !== undefined && VERSION_WORDS.has(first)) return { text: version(), code: 0 };
  if (first === undefined) return null;
  if (HELP_WORDS.has(first)) {
    if (second === undefined) return { text: mainHelp(), code: 0 };
    const topic = HELP[second];
    return topic ? { text: topic(), code: 0 } : { text: `switchboard: no help for "${second}" (see --help)`, code: 2 };
  }
  // `<command> … --help` (anywhere after the command, e.g. `accounts create --help`).
  if (argv.slice(1).some((a) => HELP_WORDS.has(a) && a !== 'help')) {
    const topic = HELP[first];
    if (topic) return { text: topic(), code: 0 };
  }
  if (first.startsWith('--') && argv.some((a) => a === '--help' || a === '-h')) return { text: serveHelp(), code: 0 };
  return null;
}

/** Prints a help or version answer and says whether it did (bin/switchboard.mjs then exits). */
export function printHelp(argv: readonly string[]): boolean {
  const answer = helpFor(argv);
  if (!answer) return false;
  (answer.code === 0 ? process.stdout : process.stderr).write(`${answer.text}\n`);
  process.exitCode = answer.code;
  return true;
}

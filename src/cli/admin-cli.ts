import { resolve } from 'node:path';
import { secretsInFlags } from '../config.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import { generateToken, hashToken } from '../tenancy/index.ts';
import { parseArgs, takeFlags, UsageError, type ParsedArgs } from './args.ts';

/**
 * Offline admin CLI: `npx switchboard accounts|tokens …` (bin/switchboard.mjs routes here; argv[2] is the group).
 * It opens the same store the server uses (SWITCHBOARD_DATA_DIR / DATABASE_URL, or --data-dir / --database-url) and
 * prints JSON shaped like the admin API, so scripts can use either. Plaintext tokens are printed once and never stored.
 * Exit codes: 0 ok, 1 failure (one line on stderr), 2 usage. Help texts live in help.ts (bin routes --help there).
 */

const STORE_FLAGS = ['data-dir', 'database-url'] as const;
const DEFAULT_MAX_INSTANCES = 10;

class CliError extends Error {}

type Command = (store: Store, flags: Record<string, string | undefined>, args: ParsedArgs) => Promise<unknown>;

interface CommandSpec {
  flags: readonly string[];
  /** Positional arguments after `<group> <command>`. */
  positionals: number;
  run: Command;
}

const COMMANDS: Record<string, CommandSpec> = {
  'accounts create': {
    flags: ['name', 'max-instances'],
    positionals: 0,
    run: async (store, flags) => {
      const name = flags.name?.trim();
      if (!name) throw new UsageError('accounts create needs --name <name>');
      const maxInstances = parseCount(flags['max-instances']);
      const accessToken = generateToken();
      // Account and its first token together: never an account nobody can use.
      const account = await store.tx(async (tx) => {
        const created = await tx.createAccount({ name, maxInstances });
        await tx.createToken(created.id, hashToken(accessToken));
        return created;
      });
      return { id: account.id, name: account.name, max_instances: account.maxInstances, access_token: accessToken };
    },
  },
  'accounts list': {
    flags: [],
    positionals: 0,
    run: async (store) =>
      (await store.listAccounts()).map((a) => ({
        id: a.id,
        name: a.name,
        max_instances: a.maxInstances,
        created_at: a.createdAt,
      })),
  },
  'tokens create': {
    flags: ['account'],
    positionals: 0,
    run: async (store, flags) => {
      const accountId = flags.account;
      if (!accountId) throw new UsageError('tokens create needs --account <account_id>');
      if (!(await store.getAccount(accountId))) throw new CliError(`account ${accountId} does not exist`);
      const accessToken = generateToken();
      const token = await store.createToken(accountId, hashToken(accessToken));
      return { token_id: token.id, access_token: accessToken };
    },
  },
  'tokens revoke': {
    flags: [],
    positionals: 1,
    run: async (store, _flags, args) => {
      const tokenId = args.positionals[2]!;
      if (!(await store.revokeToken(tokenId)))
        throw new CliError(`token ${tokenId} does not exist or is already revoked`);
      return { token_id: tokenId, revoked: true };
    },
  },
};

function parseCount(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MAX_INSTANCES;
  if (!/^\d{1,9}$/.test(text))
    throw new UsageError(`--max-instances must be a whole number ≥ 0, got ${JSON.stringify(text)}`);
  return Number(text);
}

async function main(argv: readonly string[]): Promise<number> {
  let store: Store | undefined;
  try {
    const args = parseArgs(argv);
    const [group, name] = args.positionals;
    const spec = COMMANDS[`${group} ${name}`];
    if (!spec) throw new UsageError(name ? `unknown command: ${group} ${name}` : `${group ?? ''} needs a command`);
    if (args.positionals.length !== 2 + spec.positionals) {
      throw new UsageError(`${group} ${name} takes ${spec.positionals || 'no'} argument(s)`);
    }
    const flags = takeFlags(args, [...spec.flags, ...STORE_FLAGS]);
    for (const { flag, variable } of secretsInFlags([...argv])) {
      process.stderr.write(
        `switchboard: warning: ${flag} carries a secret every local user can read (ps, /proc); set ${variable} instead\n`,
      );
    }
    store = await openStore({
      dataDir: resolve(flags['data-dir'] ?? process.env.SWITCHBOARD_DATA_DIR ?? './data'),
      databaseUrl: flags['database-url'] ?? process.env.DATABASE_URL ?? null,
    });
    const result = await spec.run(store, flags, args);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (err) {
    const usage = err instanceof UsageError;
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    process.stderr.write(`switchboard: ${message}${usage ? ' (see --help)' : ''}\n`);
    return usage ? 2 : 1;
  } finally {
    await store?.close().catch(() => undefined);
  }
}

process.exitCode = await main(process.argv.slice(2));

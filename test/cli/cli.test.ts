import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openStore } from '../../src/store/index.ts';
import { hashToken } from '../../src/tenancy/index.ts';
import { dropSchema, PG_URL, randomSchema } from '../store/pg.ts';
import { tempDir } from '../store/tmp.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/switchboard.mjs', import.meta.url));
const tmp = tempDir('switchboard-cli-');
after(() => tmp.remove());

/** Runs `switchboard <args>` as a child process, with the store selected only by the given flags. */
async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { DATABASE_URL: _url, SWITCHBOARD_DATA_DIR: _dir, ...base } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...base, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function resolves(dataDir: string, token: string): Promise<string | null> {
  const store = await openStore({ dataDir });
  try {
    return (await store.findTokenByHash(hashToken(token)))?.account.id ?? null;
  } finally {
    await store.close();
  }
}

describe('switchboard CLI (SQLite)', () => {
  const dataDir = join(tmp.dir, 'data');

  test('accounts create prints the account and a token that resolves via the store', async () => {
    const out = await cli(['accounts', 'create', '--name', 'acme', '--max-instances', '3', '--data-dir', dataDir]);
    assert.equal(out.code, 0, out.stderr);
    const created = JSON.parse(out.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(created), ['id', 'name', 'max_instances', 'access_token']);
    assert.equal(created.name, 'acme');
    assert.equal(created.max_instances, 3);
    assert.equal(await resolves(dataDir, String(created.access_token)), created.id);
  });

  test("a data dir and database created by the CLI are private (0700, 0600), like the server's", async () => {
    const fresh = join(tmp.dir, 'cli-fresh', 'data');
    const out = await cli(['accounts', 'list', '--data-dir', fresh]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal((statSync(fresh).mode & 0o777).toString(8), '700');
    assert.equal((statSync(join(fresh, 'switchboard.db')).mode & 0o777).toString(8), '600');
    assert.equal(out.stderr, '', 'no warning without secret flags');
  });

  test('--database-url with a password warns on stderr (the flag is visible in ps), without the password', async () => {
    const out = await cli(['accounts', 'list', '--database-url', 'postgres://user:pa55word@127.0.0.1:1/none']);
    assert.match(
      out.stderr,
      /warning: --database-url carries a secret every local user can read \(ps, \/proc\); set DATABASE_URL instead/,
    );
    assert.ok(!out.stderr.includes('pa55word'));
  });

  test('accounts list, tokens create and revoke; SWITCHBOARD_DATA_DIR works like --data-dir', async () => {
    const dir = join(tmp.dir, 'env');
    const env = { SWITCHBOARD_DATA_DIR: dir };
    const account = JSON.parse((await cli(['accounts', 'create', '--name=beta'], env)).stdout) as { id: string };
    const listed = JSON.parse((await cli(['accounts', 'list'], env)).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(
      listed.map((a) => [a.id, a.name, a.max_instances]),
      [[account.id, 'beta', 10]],
    );
    assert.ok(!JSON.stringify(listed).includes('token'), 'no tokens in the list');

    const issued = await cli(['tokens', 'create', '--account', account.id], env);
    assert.equal(issued.code, 0, issued.stderr);
    const token = JSON.parse(issued.stdout) as { token_id: string; access_token: string };
    assert.deepEqual(Object.keys(token), ['token_id', 'access_token']);
    assert.equal(await resolves(dir, token.access_token), account.id);

    const revoked = await cli(['tokens', 'revoke', token.token_id], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(await resolves(dir, token.access_token), null);
    const again = await cli(['tokens', 'revoke', token.token_id], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already revoked/);
  });

  test('failures are one line on stderr with exit 1; usage errors exit 2', async () => {
    const missing = await cli(['tokens', 'create', '--account', 'acc_nope', '--data-dir', dataDir]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^switchboard: account acc_nope does not exist\n$/);
    for (const args of [
      ['accounts'],
      ['accounts', 'create'],
      ['accounts', 'create', '--name', 'x', '--max-instances', 'lots'],
      ['accounts', 'delete'],
      ['tokens', 'revoke'],
      ['accounts', 'list', '--bogus', '1'],
    ]) {
      const out = await cli([...args, '--data-dir', dataDir]);
      assert.equal(out.code, 2, `${args.join(' ')}: ${out.stderr}`);
      assert.equal(out.stderr.trim().split('\n').length, 1);
    }
    const help = await cli(['accounts', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /accounts create --name/);
  });
});

describe('switchboard CLI (PostgreSQL)', () => {
  test('--database-url selects PostgreSQL', async () => {
    const schema = randomSchema();
    try {
      const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      await dropSchema(schema);
      // The CLI does not create schemas; use one migrated by openStore, reached through the URL's search_path.
      const store = await openStore({ dataDir: tmp.dir, databaseUrl: PG_URL, schema });
      const out = await cli([
        'accounts',
        'create',
        '--name',
        'pg',
        '--database-url',
        url,
        '--data-dir',
        join(tmp.dir, 'unused'),
      ]);
      assert.equal(out.code, 0, out.stderr);
      const created = JSON.parse(out.stdout) as { id: string; access_token: string };
      assert.equal((await store.findTokenByHash(hashToken(created.access_token)))?.account.id, created.id);
      await store.close();
    } finally {
      await dropSchema(schema);
    }
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CONFIG_OPTIONS } from '../../src/config.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/switchboard.mjs', import.meta.url));
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** `switchboard <args>` as a child process; never starts a server (each case below must exit by itself). */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('--help, -h and help print the commands and exit 0', async () => {
  for (const args of [['--help'], ['-h'], ['help']]) {
    const out = await cli(...args);
    assert.equal(out.code, 0, args.join(' '));
    for (const word of ['serve', 'accounts create', 'accounts list', 'tokens create', 'tokens revoke', '--version']) {
      assert.ok(out.stdout.includes(word), `${args.join(' ')} mentions ${word}`);
    }
  }
});

test('--version and version print the package version', async () => {
  for (const args of [['--version'], ['version'], ['-v']]) {
    const out = await cli(...args);
    assert.equal(out.code, 0);
    assert.equal(out.stdout.trim(), VERSION);
  }
});

test('help per subcommand: serve lists every configuration flag with its variable; accounts and tokens their commands', async () => {
  for (const args of [
    ['help', 'serve'],
    ['serve', '--help'],
    ['--port', '4000', '--help'],
  ]) {
    const out = await cli(...args);
    assert.equal(out.code, 0, args.join(' '));
    for (const o of CONFIG_OPTIONS) {
      assert.ok(out.stdout.includes(`--${o.flag}`) && out.stdout.includes(o.variable), `${args.join(' ')}: ${o.flag}`);
    }
  }
  const accounts = await cli('accounts', 'create', '--help');
  assert.equal(accounts.code, 0);
  assert.match(accounts.stdout, /accounts create --name <name>/);
  assert.match(accounts.stdout, /--data-dir/);
  const tokens = await cli('help', 'tokens');
  assert.equal(tokens.code, 0);
  assert.match(tokens.stdout, /tokens revoke <token_id>/);
});

test('help for an unknown topic is a usage error (exit 2, stderr)', async () => {
  const out = await cli('help', 'nope');
  assert.equal(out.code, 2);
  assert.equal(out.stdout, '');
  assert.match(out.stderr, /no help for "nope"/);
});

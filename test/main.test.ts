import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from './harness/gateway.ts';

/** The real process: `node bin/switchboard.mjs serve` on a loopback port, stopped with SIGTERM. */

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

async function start(
  dataDir: string,
  port: number,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<Running> {
  const child = spawn(
    process.execPath,
    ['bin/switchboard.mjs', 'serve', '--port', String(port), '--data-dir', dataDir, ...args],
    {
      env: { ...process.env, LOG_LEVEL: 'info', SWITCHBOARD_ADMIN_TOKEN: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!out.includes('switchboard listening')) {
    if (child.exitCode !== null) throw new Error(`server exited: ${err}`);
    if (Date.now() > deadline) throw new Error(`server did not start: ${out} ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, stdout: () => out, stderr: () => err, exit };
}

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}
const logLines = (out: string): LogLine[] =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

async function stop(r: Running): Promise<number | null> {
  r.child.kill('SIGTERM');
  return r.exit;
}

let parent: string;
/** Created by the server itself (a fresh path under a temp dir), so its mode is the server's doing. */
let dir: string;
before(() => {
  parent = mkdtempSync(join(tmpdir(), 'sb-main-'));
  dir = join(parent, 'data');
});
after(() => rmSync(parent, { recursive: true, force: true }));

describe('switchboard serve', () => {
  test('first start writes the admin token to a 0600 file (path logged, token not on a non-terminal stdout); it works; the next start says nothing; SIGTERM exits 0', async () => {
    const port = await freePort();
    const first = await start(dir, port);
    let token: string;
    try {
      const note = logLines(first.stdout()).find((l) => l.msg.startsWith('first start: admin token generated'));
      assert.ok(note, first.stdout());
      assert.equal(note.file, join(dir, 'admin-token'));
      token = readFileSync(note.file, 'utf8').trim();
      assert.match(token, /^sbadm_[A-Za-z0-9_-]+$/);
      assert.ok(
        !first.stdout().includes(token) && !first.stderr().includes(token),
        'stdout is a pipe here: the token stays off it',
      );
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(health.status, 200);
      assert.ok(health.headers.get('x-request-id'));
      assert.equal((await health.json()).store, 'sqlite');
      const ok = await fetch(`http://127.0.0.1:${port}/admin/accounts`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(ok.status, 200);
      const created = await fetch(`http://127.0.0.1:${port}/admin/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'proc' }),
      });
      const accessToken = (await created.json()).access_token;
      await fetch(`http://127.0.0.1:${port}/v2/account/instances?access_token=${accessToken}`);
      assert.ok(!first.stdout().includes(accessToken), 'access token not logged');
      // Data at rest (while running, when SQLite's -wal and -shm exist): the directory 0700, every file 0600.
      const modes = Object.fromEntries(
        readdirSync(dir).map((f) => [f, (statSync(join(dir, f)).mode & 0o777).toString(8)]),
      );
      assert.equal((statSync(dir).mode & 0o777).toString(8), '700');
      assert.deepEqual(modes, {
        'admin-token': '600',
        'master.key': '600',
        'switchboard.db': '600',
        'switchboard.db-shm': '600',
        'switchboard.db-wal': '600',
      });
      assert.ok(
        !logLines(first.stdout()).some((l) => l.level >= 40 && /readable or writable by others/.test(l.msg)),
        'nothing to warn about',
      );
    } finally {
      assert.equal(await stop(first), 0);
    }
    assert.match(first.stdout(), /shutting down/);

    const files = readdirSync(dir).filter((f) => f.startsWith('switchboard.db'));
    for (const f of files)
      assert.equal(readFileSync(join(dir, f)).indexOf(token), -1, 'admin token not stored in plaintext');

    const second = await start(dir, port);
    try {
      assert.doesNotMatch(second.stdout(), /Admin token|admin token generated/);
      assert.ok(!second.stdout().includes(token));
      const ok = await fetch(`http://127.0.0.1:${port}/admin/accounts`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(ok.status, 200, 'the token from the first start still works');
    } finally {
      assert.equal(await stop(second), 0);
    }
  });

  test('SWITCHBOARD_ADMIN_TOKEN: nothing printed, that token works', async () => {
    const port = await freePort();
    const own = mkdtempSync(join(tmpdir(), 'sb-main-env-'));
    const token = 'env-admin-token-0123456789';
    const r = await start(own, port, { SWITCHBOARD_ADMIN_TOKEN: token });
    try {
      assert.doesNotMatch(r.stdout(), /Admin token/);
      assert.ok(!r.stdout().includes(token));
      const ok = await fetch(`http://127.0.0.1:${port}/admin/accounts`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(ok.status, 200);
    } finally {
      assert.equal(await stop(r), 0);
      rmSync(own, { recursive: true, force: true });
    }
  });

  test('on a terminal the generated admin token is also shown on stdout', async () => {
    const own = mkdtempSync(join(tmpdir(), 'sb-main-tty-'));
    const port = await freePort();
    // script(1) gives the server a pseudo-terminal as stdout; the server runs in its own process group.
    const cmd = `${process.execPath} bin/switchboard.mjs serve --port ${port} --data-dir ${own}`;
    const child = spawn('script', ['-qec', cmd, '/dev/null'], {
      env: { ...process.env, LOG_LEVEL: 'info', SWITCHBOARD_ADMIN_TOKEN: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exit = new Promise((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 60_000;
      while (!out.includes('switchboard listening')) {
        assert.ok(Date.now() < deadline && child.exitCode === null, `server did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const token = readFileSync(join(own, 'admin-token'), 'utf8').trim();
      assert.match(out, new RegExp(`Admin token \\(shown only this once; keep it\\): ${token}`));
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await exit;
      rmSync(own, { recursive: true, force: true });
    }
  });

  test('warns at start about a data dir or files others can read, and about secrets given as flags (naming the flag, not the value)', async () => {
    const own = mkdtempSync(join(tmpdir(), 'sb-main-loose-'));
    const port = await freePort();
    chmodSync(own, 0o755);
    writeFileSync(join(own, 'master.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o644 });
    const token = 'flag-admin-token-0123456789';
    const r = await start(own, port, {}, ['--admin-token', token]);
    try {
      const warnings = logLines(r.stdout()).filter((l) => l.level === 40);
      const loose = warnings.filter((l) => /readable or writable by others/.test(l.msg)).map((l) => [l.path, l.mode]);
      assert.deepEqual(loose, [
        [own, '755'],
        [join(own, 'master.key'), '644'],
      ]);
      const flag = warnings.find((l) => l.flag === '--admin-token');
      assert.ok(flag, r.stdout());
      assert.match(flag.msg, /set SWITCHBOARD_ADMIN_TOKEN instead/);
      assert.ok(!r.stdout().includes(token), 'the secret itself is not logged');
    } finally {
      assert.equal(await stop(r), 0);
      rmSync(own, { recursive: true, force: true });
    }
  });

  test('a bad master key is one line on stderr, exit 1', async () => {
    const own = mkdtempSync(join(tmpdir(), 'sb-main-key-'));
    try {
      const child = spawn(process.execPath, ['bin/switchboard.mjs', 'serve', '--data-dir', own], {
        env: { ...process.env, SWITCHBOARD_MASTER_KEY: 'not-a-key' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      assert.equal(code, 1);
      const lines = err.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, err);
      assert.match(lines[0], /SWITCHBOARD_MASTER_KEY/);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});

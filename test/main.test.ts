import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

/** The real process: `node bin/switchboard.mjs serve` on a loopback port, stopped with SIGTERM. */

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

async function start(dataDir: string, port: number, env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, ['bin/switchboard.mjs', 'serve', '--port', String(port), '--data-dir', dataDir], {
    env: { ...process.env, LOG_LEVEL: 'info', SWITCHBOARD_ADMIN_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

async function stop(r: Running): Promise<number | null> {
  r.child.kill('SIGTERM');
  return r.exit;
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-main-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('switchboard serve', () => {
  test('first start prints the admin token once; it works; the next start prints nothing; SIGTERM exits 0', async () => {
    const port = await freePort();
    const first = await start(dir, port);
    let token: string;
    try {
      const m = /Admin token[^:]*: (sbadm_[A-Za-z0-9_-]+)/.exec(first.stdout());
      assert.ok(m, first.stdout());
      token = m[1];
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(health.status, 200);
      assert.ok(health.headers.get('x-request-id'));
      assert.equal((await health.json()).store, 'sqlite');
      const ok = await fetch(`http://127.0.0.1:${port}/admin/accounts`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200);
      const created = await fetch(`http://127.0.0.1:${port}/admin/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'proc' }),
      });
      const accessToken = (await created.json()).access_token;
      await fetch(`http://127.0.0.1:${port}/v2/account/instances?access_token=${accessToken}`);
      assert.ok(!first.stdout().includes(accessToken), 'access token not logged');
      assert.equal(first.stdout().split(token).length - 1, 1, 'admin token printed exactly once');
    } finally {
      assert.equal(await stop(first), 0);
    }
    assert.match(first.stdout(), /shutting down/);

    const files = readdirSync(dir).filter((f) => f.startsWith('switchboard.db'));
    for (const f of files) assert.equal(readFileSync(join(dir, f)).indexOf(token), -1, 'admin token not stored in plaintext');

    const second = await start(dir, port);
    try {
      assert.doesNotMatch(second.stdout(), /Admin token/);
      assert.ok(!second.stdout().includes(token));
      const ok = await fetch(`http://127.0.0.1:${port}/admin/accounts`, { headers: { authorization: `Bearer ${token}` } });
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
      const ok = await fetch(`http://127.0.0.1:${port}/admin/accounts`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200);
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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startSimulator } from '../../sim/index.ts';
import {
  ADMIN_TOKEN as ADMIN,
  freePort,
  httpClient,
  instanceHandle,
  messageEvent,
  newInstanceOn,
  newPhone,
  sleep,
  startGateway,
  until,
  type Gateway,
  type Instance,
} from '../harness/gateway.ts';

/**
 * Sandbox mode survives a restart (issue 13): the embedded simulator keeps its network in <dataDir>/sandbox.db, so a
 * gateway restart, graceful or kill -9, brings every linked instance back to WORKING from its stored credentials
 * (no QR), with the same /me, and texts that contacts sent while it was down arrive afterwards. "While it was down"
 * is the simulated network running on its own: a standalone simulator on the same sandbox.db queues the texts.
 */

// Enough to pair several at once on one gateway and restore them together; the 200-session restart (simulator killed
// too) is the benchmark's (`npm run bench -- sessions --sim-restart`), which keeps the suite within its time budget.
const N = 10;
const CONTACT = '201077770001';

interface Linked {
  i: Instance;
  phone: string;
  me: Record<string, unknown>;
}

/** /v2/session/me once the push name has arrived, without the time it was last seen changing. */
async function meOf(i: Instance, name: string): Promise<Record<string, unknown>> {
  return until(
    `/me of ${i.id}`,
    async () => {
      const res = await i.call('GET', '/v2/session/me');
      if (res.status !== 200 || res.body.pushName !== name) return undefined;
      const { updatedAt: _t, ...me } = res.body;
      return me;
    },
    60_000,
  );
}

/** N instances on `client`'s gateway, each linked to its own simulated phone by QR, WORKING, push name synced. */
async function linkMany(client: Pick<Gateway, 'call' | 'admin'>): Promise<Linked[]> {
  const out: Linked[] = [];
  for (let n = 0; n < N; n++) {
    const i = await newInstanceOn(client, `durable-${n}`);
    assert.equal((await i.call('POST', '/v2/session/start')).status, 200);
    out.push({ i, phone: newPhone(), me: {} });
  }
  await Promise.all(
    out.map(async (l, n) => {
      const scan = await client.admin('POST', '/sandbox/scan', {
        qr: await l.i.qr(60_000),
        phone: l.phone,
        push_name: `Durable ${n}`,
        platform: 'android',
      });
      assert.equal(scan.status, 200, String(scan.raw));
      await l.i.waitStatus('WORKING', 'connected', 120_000);
      l.me = await meOf(l.i, `Durable ${n}`);
    }),
  );
  return out;
}

/** The network while the gateway is down: each account gets a text, queued for its offline device. */
async function textWhileDown(dataDir: string, linked: Linked[]): Promise<string[]> {
  const net = await startSimulator({ dataDir, logger: pino({ level: 'silent' }) });
  try {
    assert.equal(net.listPhones().filter((p) => p.devices.length).length, N, 'the network remembers every link');
    const texts: string[] = [];
    for (const [n, l] of linked.entries()) {
      texts.push(`sent while down ${n}`);
      await net.sendText({ from: CONTACT, to: l.phone, text: texts[n], name: 'Alice' });
    }
    return texts;
  } finally {
    await net.stop();
  }
}

/** Every instance WORKING again by boot restore (never a QR), with the same /me, and its queued text as a `message` event. */
async function allBack(url: string, linked: Linked[], texts: string[]): Promise<void> {
  await Promise.all(
    linked.map(async (l, n) => {
      const i = instanceHandle(httpClient(url, ADMIN).call, l.i.token, l.i.id);
      // After a kill -9 the stored status still says WORKING from the first life: wait for the restore's own entries.
      const history = await until(
        `${i.id} restored`,
        async () => {
          const h: string[] = (await i.info()).history.map((e: any) => `${e.status}/${e.reason}`);
          return h[0] === 'WORKING/connected' && h.includes('STARTING/boot_restore') && h;
        },
        120_000,
      );
      const restoredAt = history.indexOf('STARTING/boot_restore');
      assert.ok(
        !history.slice(0, restoredAt).some((h) => h.startsWith('SCAN_QR_CODE')),
        `no QR after the restart: ${history.join(' ← ')}`,
      );
      assert.deepEqual(await meOf(i, `Durable ${n}`), l.me);
      await messageEvent(url, i, texts[n]);
    }),
  );
}

test(`graceful restart with ${N} linked sandbox instances: all WORKING without QR, same /me, texts sent while down arrive`, async (t) => {
  const masterKey = randomBytes(32);
  const first = await startGateway({ masterKey });
  let second: Gateway | null = null;
  let firstOpen = true;
  t.after(async () => {
    // A failure before the first gateway's close must not leave it (and its engine threads) holding the process open.
    if (firstOpen) await first.close();
    await second?.close();
    rmSync(first.dir, { recursive: true, force: true });
  });
  const linked = await linkMany(first);
  firstOpen = false;
  await first.close({ keepData: true }); // HTTP, sessions (restorable), embedded simulator, store
  assert.ok(existsSync(join(first.dir, 'sandbox.db')), 'the simulator state lives in the data dir, in its own file');

  const texts = await textWhileDown(first.dir, linked);
  second = await startGateway({ dir: first.dir, masterKey });
  assert.equal(await second.sessions.manager.restoreAll(), N);
  await allBack(second.url, linked, texts);
});

/** `node bin/switchboard.mjs serve --sandbox` on `port`, resolved once it listens. */
async function serve(dataDir: string, port: number): Promise<{ child: ChildProcess; exit: Promise<unknown> }> {
  const child = spawn(
    process.execPath,
    ['bin/switchboard.mjs', 'serve', '--sandbox', '--port', String(port), '--data-dir', dataDir],
    {
      env: { ...process.env, LOG_LEVEL: 'info', SWITCHBOARD_ADMIN_TOKEN: ADMIN },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const exit = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 60_000;
  while (!out.includes('switchboard listening')) {
    if (child.exitCode !== null) throw new Error(`server exited: ${err}`);
    if (Date.now() > deadline) throw new Error(`server did not start: ${out} ${err}`);
    await sleep(50);
  }
  return { child, exit };
}

test(`kill -9 of switchboard serve --sandbox with ${N} linked instances: all back WORKING without QR, same /me, texts sent while down arrive`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-kill9-'));
  const port = await freePort();
  let proc = await serve(dir, port);
  t.after(async () => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGKILL');
      await proc.exit;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const client = httpClient(`http://127.0.0.1:${port}`, ADMIN);
  const linked = await linkMany(client);

  proc.child.kill('SIGKILL');
  await proc.exit;
  const texts = await textWhileDown(dir, linked);

  proc = await serve(dir, port); // boot restore runs on its own
  await allBack(`http://127.0.0.1:${port}`, linked, texts);
});

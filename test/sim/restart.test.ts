/**
 * Durable simulator state (`dataDir`): a simulator restart behaves like a WhatsApp server restart. Linked companions
 * log in again with their saved credentials (no QR), keep their name and Signal sessions, and get the texts that were
 * queued for them, also after a `kill -9` of a standalone `switchboard-sim --data-dir`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { connect, newAuth, pairByQr, record, silent, until, VERIFY, within, type Client } from './helpers.ts';

const PHONE = '201012345678';
const CONTACT = '201099990001';

const portOf = (url: string) => Number(new URL(url).port);

test('graceful restart with a data dir: same root, no QR, same name, sessions continue, queued texts delivered', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sim-data-'));
  const a = await newAuth();
  const clients: Client[] = [];
  let sim: Simulator = await startSimulator({ logger: silent, dataDir });
  try {
    const { client } = await pairByQr(sim, a, { phone: PHONE, pushName: 'John Doe' }, VERIFY, (c) => clients.push(c));
    let rec = record(client);
    await until(() => a.state.creds.me?.name === 'John Doe', 5_000, 'name');
    const hello = await sim.sendText({ from: CONTACT, to: PHONE, text: 'before restart', name: 'Alice' });
    await until(() => rec.textFrom(hello.id), 5_000, 'text before restart');
    const reply = await client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { text: 'reply before restart' });
    await until(() => sim.receivedMessages(CONTACT).length === 1, 5_000, 'contact got the reply');

    // The server goes away mid-session: the client sees the socket drop.
    const { rootPublicKey, url } = sim;
    await sim.stop();
    assert.equal((await within(client.closed, 5_000, 'drop')).statusCode, 428);

    sim = await startSimulator({ logger: silent, dataDir, port: portOf(url) });
    assert.ok(sim.rootPublicKey.equals(rootPublicKey), 'the same root: the client still trusts the chain');
    assert.deepEqual(sim.listPhones(), [
      {
        phone: PHONE,
        push_name: 'John Doe',
        devices: [{ jid: `${PHONE}:1@s.whatsapp.net`, platform: 'android', connected: false }],
      },
    ]);
    assert.deepEqual(
      sim.receivedMessages(CONTACT).map((m) => m.id),
      [reply!.key.id],
      'what the contact received is kept',
    );
    // Sent while the companion is offline: queued, delivered at its next login.
    const queued = await sim.sendText({ from: CONTACT, to: PHONE, text: 'while you were away' });

    const again = connect(sim, a, VERIFY);
    clients.push(again);
    rec = record(again);
    await within(again.opened, 8_000, 'open without QR');
    assert.equal(
      again.updates.some((u) => u.qr),
      false,
    );
    const got = await until(() => rec.textFrom(queued.id), 5_000, 'queued text');
    assert.equal(got.msg.message?.conversation, 'while you were away');
    assert.equal(got.type, 'append', 'offline delivery');
    assert.equal(rec.encTypes.get(queued.id), 'msg', "the contact's Signal session survived the restart");
    assert.equal(a.state.creds.me?.name, 'John Doe');

    assert.equal((await sim.setPushName(PHONE, 'John Renamed')).notified, 1);
    await until(
      () => a.state.creds.me?.name === 'John Renamed',
      5_000,
      'rename after restart (app-state LT hash kept)',
    );
    await again.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { text: 'after restart' });
    await until(() => sim.receivedMessages(CONTACT).length === 2, 5_000, 'contact decrypts after restart');
    assert.equal(sim.receivedMessages(CONTACT)[1].text, 'after restart');
  } finally {
    for (const c of clients) c.end();
    await Promise.all(clients.map((c) => within(c.closed, 3_000, 'close').catch(() => undefined)));
    await sim.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(a.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
});

test('without a data dir nothing survives: a new simulator answers the old credentials with 401', async () => {
  const a = await newAuth();
  let sim = await startSimulator({ logger: silent });
  const clients: Client[] = [];
  try {
    const { client } = await pairByQr(sim, a, { phone: PHONE }, {}, (c) => clients.push(c));
    const port = portOf(sim.url);
    await sim.stop();
    await within(client.closed, 5_000, 'drop');
    sim = await startSimulator({ logger: silent, port });
    assert.deepEqual(sim.listPhones(), []);
    const again = connect(sim, a);
    clients.push(again);
    assert.equal((await within(again.closed, 5_000, '401')).statusCode, 401);
  } finally {
    for (const c of clients) c.end();
    await sim.stop();
    await rm(a.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
});

const bin = fileURLToPath(new URL('../../bin/switchboard-sim.mjs', import.meta.url));

/** Starts `switchboard-sim --data-dir` and resolves with its URLs and root key once it listens. */
async function spawnSim(
  dataDir: string,
  port: number,
): Promise<{ child: ChildProcess; url: string; control: string; rootKey: Buffer<ArrayBuffer> }> {
  const child = spawn(process.execPath, [bin, '--port', String(port), '--data-dir', dataDir, '--log-level', 'silent'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8');
  await within(
    new Promise<void>((resolve) =>
      child.stdout!.on('data', (d: string) => ((out += d), /state:/.test(out) && resolve())),
    ),
    15_000,
    'CLI banner',
  );
  const rootKey = Buffer.alloc(32);
  Buffer.from(out.match(/root key:\s+([0-9a-f]{64})/)![1], 'hex').copy(rootKey);
  return { child, url: out.match(/url:\s+(\S+)/)![1], control: out.match(/control:\s+(\S+)/)![1], rootKey };
}

test('kill -9 of switchboard-sim --data-dir loses nothing it acknowledged: the link, and a text queued just before', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sim-data-'));
  const a = await newAuth();
  const clients: Client[] = [];
  let proc = await spawnSim(dataDir, 0);
  try {
    const remote = { url: proc.url, rootPublicKey: proc.rootKey } as Simulator;
    const first = connect(remote, a);
    clients.push(first);
    const qr = await within(first.qr(), 5_000, 'QR');
    const post = (path: string, body: unknown) =>
      fetch(proc.control + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal((await post('/scan', { qr, phone: PHONE, push_name: 'John Doe' })).status, 200);
    assert.equal((await within(first.closed, 5_000, '515')).statusCode, 515);
    const second = connect(remote, a, VERIFY);
    clients.push(second);
    await within(second.opened, 8_000, 'open');
    await until(() => a.state.creds.me?.name === 'John Doe', 5_000, 'name');
    second.end();
    await within(second.closed, 3_000, 'client gone');

    const sent = await (
      await post(`/phones/${CONTACT}/messages`, { to: PHONE, text: 'queued before the crash' })
    ).json();
    const port = portOf(proc.url);
    proc.child.kill('SIGKILL');
    await once(proc.child, 'exit');

    proc = await spawnSim(dataDir, port);
    assert.ok(proc.rootKey.equals(remote.rootPublicKey));
    const third = connect(remote, a, VERIFY);
    clients.push(third);
    const rec = record(third);
    await within(third.opened, 8_000, 'open after kill -9, no QR');
    const got = await until(() => rec.textFrom(sent.id), 5_000, 'queued text after kill -9');
    assert.equal(got.msg.message?.conversation, 'queued before the crash');
    assert.equal(a.state.creds.me?.name, 'John Doe');
  } finally {
    for (const c of clients) c.end();
    await Promise.all(clients.map((c) => within(c.closed, 3_000, 'close').catch(() => undefined)));
    proc.child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    await rm(a.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateMessageIDV2 } from 'baileys';
import type { Simulator } from '../../../sim/index.ts';
import { createThreadedEngine, type ThreadedEngine } from '../../../src/engine/threads/index.ts';
import { capturedLogger } from '../../harness/gateway.ts';
import { eventually, newPhone, Recorder, startSim } from '../baileys/fixtures/harness.ts';
import { MemoryAuth } from '../baileys/fixtures/memory-auth.ts';

// The threaded engine against the simulator: sessions hosted by worker threads, the auth state on this thread.

let sim: Simulator;
let engine: ThreadedEngine;
const { logger, lines } = capturedLogger('debug');

before(async () => {
  sim = await startSim();
  engine = createThreadedEngine({ waUrl: sim.url, rootPublicKey: sim.rootPublicKey, logger, threads: 2 });
});
after(async () => {
  await engine?.close();
  await sim?.stop();
});

test('pairs, opens and restores through a worker: events, identity() and the auth state on the main thread', async () => {
  const auth = new MemoryAuth();
  const instanceId = 'thr-1';
  const phone = newPhone();
  assert.equal(await engine.isLinked(auth), false);

  const s1 = engine.start({ instanceId, auth });
  const r1 = new Recorder(s1);
  const qr = await r1.next('qr', 30_000);
  assert.equal(s1.identity(), null);
  assert.ok(auth.batches.length > 0, 'the fresh creds were written through the main-thread AuthKeyValue');

  const linked = await sim.scan({ qr: qr.value, phone, pushName: 'John Doe', platform: 'android' });
  const id = await r1.next('open', 30_000);
  assert.equal(id.deviceJid, linked.jid);
  assert.deepEqual(s1.identity(), id, 'identity() answers synchronously with what the worker reported');
  assert.equal(await engine.isLinked(auth), true, 'isLinked reads the creds on the main thread');
  const renamed = await r1.next('identity', 25_000, (v) => v.pushName === 'John Doe');
  assert.equal(s1.identity()?.pushName, 'John Doe');
  assert.equal(renamed.deviceJid, id.deviceJid);

  await s1.end();
  await s1.end(); // idempotent, also once the worker has forgotten the session
  assert.deepEqual(r1.all('close'), [{ reason: 'stopped', transient: false, message: 'stopped on request' }]);
  await assert.rejects(
    s1.sendText({ to: `${phone}@s.whatsapp.net`, text: 'x', id: engine.newMessageId() }),
    (err: Error) => err.name === 'EngineSessionClosedError',
  );

  const s2 = engine.start({ instanceId, auth });
  const r2 = new Recorder(s2);
  assert.deepEqual(await r2.next('open', 30_000), { ...id, pushName: 'John Doe' });
  assert.equal(r2.count('qr'), 0, 'stored credentials log straight in');
  await s2.logout();
  assert.equal(r2.all('close')[0]?.reason, 'logged_out');
  assert.equal(s2.identity(), null, 'a logged-out session has no identity');
  assert.equal(await engine.isLinked(auth), false);

  // Worker log lines reach the main logger (its level, its fields), tagged as the engine's.
  assert.ok(
    lines.some((l) => l.engine === 'baileys' && l.instanceId === instanceId && l.msg === 'engine session closed'),
  );
});

test('sessions go to the least-loaded worker; a worker that dies closes its sessions once as connection_lost and is replaced', async () => {
  const sessions = [1, 2].map((n) => {
    const s = engine.start({ instanceId: `thr-crash-${n}`, auth: new MemoryAuth() });
    return { s, r: new Recorder(s) };
  });
  await Promise.all(sessions.map(({ r }) => r.next('qr', 30_000)));
  const before = engine.workers();
  assert.equal(before.length, 2);
  assert.deepEqual(
    before.map((w) => w.sessions),
    [1, 1],
    'one session on each worker',
  );

  const victim = before[0]!.threadId;
  await engine.terminateWorker(victim);
  await eventually(() => sessions.some(({ r }) => r.count('close') === 1), 5_000, 'a close');
  const lost = sessions.filter(({ r }) => r.count('close') === 1);
  assert.equal(lost.length, 1, 'only the dead worker’s session closed');
  assert.deepEqual(lost[0]!.r.all('close')[0], {
    reason: 'connection_lost',
    transient: true,
    message: 'engine worker exited (code 1)',
  });
  await lost[0]!.s.end(); // nothing left to end: resolves
  assert.equal(lost[0]!.r.count('close'), 1, 'close is emitted once');

  await eventually(() => engine.workers().length === 2, 5_000, 'a replacement worker');
  assert.ok(!engine.workers().some((w) => w.threadId === victim));
  const replacement = engine.start({ instanceId: 'thr-crash-3', auth: new MemoryAuth() });
  await new Recorder(replacement).next('qr', 30_000);
  await Promise.all([replacement.end(), ...sessions.map(({ s }) => s.end())]);
});

test('the main thread’s console is filtered too (the sandbox’s simulator runs libsignal there)', () => {
  const secret = 'c0ffee'.repeat(8);
  console.info('Closing session:', { currentRatchet: { ephemeralKeyPair: { privKey: secret } } });
  const line = lines.find((l) => l.module === 'libsignal' && l.msg === 'Closing session:');
  assert.ok(line, 'the libsignal line became a debug log entry');
  assert.ok(!JSON.stringify(lines).includes(secret), 'without its object');
});

test('newMessageId: the format of Baileys’ generateMessageIDV2, chosen on the main thread', () => {
  const ids = new Set(Array.from({ length: 100 }, () => engine.newMessageId()));
  assert.equal(ids.size, 100);
  const format = /^3EB0[0-9A-F]{18}$/;
  assert.match(generateMessageIDV2(), format, 'the format is Baileys’ own');
  for (const id of ids) assert.match(id, format);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagerClosedError } from '../../src/sessions/index.ts';
import type { FakeSession } from './fake-engine.ts';
import { harness, historyOf, settle } from './harness.ts';

test('shutdown ends every session, keeps credentials, records nothing, leaves no timer', async (t) => {
  const h = await harness({ backoff: { baseMs: 10_000, maxMs: 10_000, jitter: 0 } });
  t.after(() => h.close());
  const working = await h.createInstance();
  const qr = await h.createInstance();
  const retrying = await h.createInstance();
  await h.manager.start(working);
  await (await h.engine.next(working, 1)).open();
  await h.manager.start(qr);
  (await h.engine.next(qr, 1)).qr();
  await h.manager.start(retrying);
  (await h.engine.next(retrying, 1)).close('connection_lost');
  await h.waitStatus(working, 'WORKING');
  await h.waitStatus(qr, 'SCAN_QR_CODE');
  await h.waitStatus(retrying, 'STARTING', 'connection_lost');
  assert.equal(h.manager.activeTimers, 1);
  const histories = await Promise.all([working, qr, retrying].map((id) => historyOf(h.store, id)));

  await h.manager.shutdown();
  assert.equal(h.manager.activeTimers, 0);
  assert.ok(h.engine.sessions.every((s) => s.closed));
  assert.deepEqual(await Promise.all([working, qr, retrying].map((id) => historyOf(h.store, id))), histories);
  assert.equal((await h.store.getInstance(working))?.status, 'WORKING', 'stored status left for the next boot');
  assert.equal(await h.engine.isLinked(h.engine.startsFor(working)[0]!.opts.auth), true);
  await assert.rejects(h.manager.start(working), ManagerClosedError);
  await settle(50);
  assert.equal(h.engine.sessions.length, 3, 'no reconnect after shutdown');
});

test('restoreAll: running instances resume as STARTING/boot_restore from stored credentials; others stay', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  // First life: link one instance, then shut down the manager (as on process exit).
  const linked = await h.createInstance();
  await h.manager.start(linked);
  await (await h.engine.next(linked, 1)).open();
  await h.waitStatus(linked, 'WORKING');
  await h.manager.shutdown();

  const starting = await h.createInstance({ status: 'STARTING', reason: 'start_requested' });
  const scanning = await h.createInstance({ status: 'SCAN_QR_CODE', reason: 'qr_ready' });
  const stopped = await h.createInstance({ status: 'STOPPED', reason: 'stop_requested' });
  const failed = await h.createInstance({ status: 'FAILED', reason: 'device_removed' });

  // Second life on the same store.
  const { SessionManager } = await import('../../src/sessions/index.ts');
  const { pino } = await import('pino');
  const manager2 = new SessionManager({
    store: h.store,
    engine: h.engine,
    bus: h.bus,
    masterKey: h.masterKey, // the same key: the stored credentials must open
    logger: pino({ level: 'silent' }),
    options: { startTimeoutMs: 5000 },
  });
  t.after(() => manager2.shutdown());
  h.engine.onStart = (s: FakeSession) => {
    if (s.opts.instanceId === linked) void s.open();
    else s.qr();
  };
  assert.equal(await manager2.restoreAll(), 3);
  await h.waitStatus(linked, 'WORKING', 'connected');
  await h.waitStatus(starting, 'SCAN_QR_CODE', 'qr_ready');
  await h.waitStatus(scanning, 'SCAN_QR_CODE', 'qr_ready');
  assert.deepEqual((await historyOf(h.store, linked)).slice(-2), ['STARTING/boot_restore', 'WORKING/connected']);
  assert.equal(h.engine.startsFor(linked).length, 2);
  // The second life's vault (same master key) opens the credentials the first life stored.
  assert.equal(await h.engine.isLinked(h.engine.startsFor(linked)[1]!.opts.auth), true);
  assert.equal(h.engine.startsFor(stopped).length, 0);
  assert.equal(h.engine.startsFor(failed).length, 0);
  assert.equal((await h.store.getInstance(stopped))?.status, 'STOPPED');
  assert.equal((await h.store.getInstance(failed))?.reason, 'device_removed');
});

test('restoreAll keeps at most restoreConcurrency handshakes in flight', async (t) => {
  const h = await harness({ restoreConcurrency: 3 });
  t.after(() => h.close());
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push(await h.createInstance({ status: 'WORKING', reason: 'connected' }));
  let inFlight = 0;
  let peak = 0;
  h.engine.onStart = (s) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    setTimeout(() => {
      inFlight--;
      void s.open();
    }, 15);
  };
  assert.equal(await h.manager.restoreAll(), 10);
  for (const id of ids) await h.waitStatus(id, 'WORKING');
  assert.equal(peak, 3);
  assert.equal(h.engine.sessions.length, 10);
});

test('restoreAll leaves alone an instance a command already brought up', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance({ status: 'WORKING', reason: 'connected' });
  await h.manager.restart(id);
  const s = await h.engine.next(id, 1);
  s.qr();
  await h.waitStatus(id, 'SCAN_QR_CODE');
  const before = await historyOf(h.store, id);
  assert.equal(await h.manager.restoreAll(), 1);
  await settle();
  assert.equal(h.engine.startsFor(id).length, 1, 'no second connection');
  assert.deepEqual(await historyOf(h.store, id), before);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionNotFoundError } from '../../src/sessions/index.ts';
import { IDENTITY } from './fake-engine.ts';
import { harness, historyOf, settle } from './harness.ts';

/** The manager's timing and robustness: watchdog, serialised commands, stale attempts, engine failures. */

test('start watchdog: a silent attempt is retried, then FAILED/start_timeout', async (t) => {
  const h = await harness({ startTimeoutMs: 40, maxRestarts: 1 });
  t.after(() => h.close());
  const id = await h.createInstance();
  await h.manager.start(id);
  await h.waitStatus(id, 'FAILED', 'start_timeout', 3000);
  const sessions = h.engine.startsFor(id);
  assert.equal(sessions.length, 2);
  assert.ok(
    sessions.every((s) => s.ended),
    'silent attempts are ended',
  );
  assert.deepEqual((await historyOf(h.store, id)).slice(-3), [
    'STARTING/start_requested',
    'STARTING/start_timeout',
    'FAILED/start_timeout',
  ]);
  assert.equal(h.manager.activeTimers, 0);
});

test('a QR disarms the watchdog', async (t) => {
  const h = await harness({ startTimeoutMs: 40 });
  t.after(() => h.close());
  const id = await h.createInstance();
  h.engine.onStart = (s) => s.qr();
  await h.manager.start(id);
  await h.waitStatus(id, 'SCAN_QR_CODE');
  await settle(100);
  assert.equal((await h.store.getInstance(id))?.status, 'SCAN_QR_CODE');
  assert.equal(h.engine.startsFor(id).length, 1);
});

test('concurrent commands on one instance run one after another', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance();
  h.engine.onStart = (s) => void s.open();
  const results = await Promise.all([
    h.manager.start(id),
    h.manager.stop(id),
    h.manager.start(id),
    h.manager.restart(id),
    h.manager.stop(id),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['STARTING', 'STOPPED', 'STARTING', 'STARTING', 'STOPPED'],
  );
  await settle(50);
  assert.equal((await h.store.getInstance(id))?.status, 'STOPPED');
  assert.ok(
    h.engine.startsFor(id).every((s) => s.ended || s.closed),
    'no connection left open',
  );
  assert.equal(h.manager.activeTimers, 0);
});

test('late events of a replaced attempt are ignored', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance();
  await h.manager.start(id);
  const old = await h.engine.next(id, 1);
  await h.manager.restart(id);
  const fresh = await h.engine.next(id, 2);
  old.closed = false; // let the fake emit again, as a misbehaving late socket would
  old.emit('open', IDENTITY);
  old.emit('close', { reason: 'device_removed', transient: false, message: 'late' });
  await settle();
  assert.equal((await h.store.getInstance(id))?.status, 'STARTING');
  fresh.qr();
  await h.waitStatus(id, 'SCAN_QR_CODE');
});

test('stop during the backoff wait cancels the reconnect', async (t) => {
  const h = await harness({ backoff: { baseMs: 200, maxMs: 200, jitter: 0 } });
  t.after(() => h.close());
  const id = await h.createInstance();
  await h.manager.start(id);
  (await h.engine.next(id, 1)).close('connection_lost');
  await h.waitStatus(id, 'STARTING', 'connection_lost');
  assert.equal(h.manager.activeTimers, 1);
  await h.manager.stop(id);
  assert.equal(h.manager.activeTimers, 0);
  await settle(300);
  assert.equal(h.engine.startsFor(id).length, 1);
});

test('engine start that throws is handled like a dropped connection', async (t) => {
  const h = await harness({ maxRestarts: 1 });
  t.after(() => h.close());
  const id = await h.createInstance();
  h.engine.failStart = new Error('no socket');
  await h.manager.start(id);
  await h.waitStatus(id, 'FAILED', 'restart_limit');
});

test('identity changes while WORKING are saved and announced', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance();
  await h.manager.start(id);
  const s = await h.engine.next(id, 1);
  await s.open({ ...IDENTITY, pushName: null });
  await h.waitStatus(id, 'WORKING');
  s.emit('identity', { ...IDENTITY, pushName: 'Renamed' });
  await settle();
  assert.equal((await h.store.getIdentity(id))?.pushName, 'Renamed');
  const identityEvents = h.published.filter((m) => m.envelope.event === 'session.identity');
  assert.equal(identityEvents.length, 2);
  assert.equal((identityEvents[1]!.envelope.payload as { pushName: string }).pushName, 'Renamed');
});

test('unknown instance → SessionNotFoundError; forget ends the session without recording', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  await assert.rejects(h.manager.start('nope'), SessionNotFoundError);
  assert.equal(await h.manager.status('nope'), null);
  const id = await h.createInstance();
  await h.manager.start(id);
  const s = await h.engine.next(id, 1);
  await s.open();
  await h.waitStatus(id, 'WORKING');
  const before = (await historyOf(h.store, id)).length;
  await h.manager.forget(id);
  assert.equal(s.ended, true);
  assert.equal((await historyOf(h.store, id)).length, before);
  await h.store.deleteInstance(id);
  await assert.rejects(h.manager.start(id), SessionNotFoundError);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidStateError } from '../../src/sessions/index.ts';
import type { EventEnvelope } from '../../src/events/index.ts';
import { IDENTITY } from './fake-engine.ts';
import { harness, historyOf, settle } from './harness.ts';

test('start → QR → scan → WORKING: statuses, events in the outbox and on the bus, identity saved', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance();

  assert.deepEqual(await h.manager.start(id), { status: 'STARTING', reason: 'start_requested' });
  const s = await h.engine.next(id, 1);
  s.qr('https://wa.me/settings/linked_devices#ref1,n,i,a,1', 123);
  await h.waitStatus(id, 'SCAN_QR_CODE', 'qr_ready');
  assert.deepEqual(h.manager.currentQr(id), {
    value: 'https://wa.me/settings/linked_devices#ref1,n,i,a,1',
    expiry: 123,
  });
  s.qr('https://wa.me/settings/linked_devices#ref2,n,i,a,1', 456); // rotation: no new status
  await settle();
  assert.equal(h.manager.currentQr(id)?.value, 'https://wa.me/settings/linked_devices#ref2,n,i,a,1');

  await s.open();
  await h.waitStatus(id, 'WORKING', 'connected');
  assert.equal(h.manager.currentQr(id), null);
  assert.deepEqual(h.manager.liveIdentity(id), IDENTITY);
  assert.deepEqual((await historyOf(h.store, id)).slice(-3), [
    'STARTING/start_requested',
    'SCAN_QR_CODE/qr_ready',
    'WORKING/connected',
  ]);

  const identity = await h.store.getIdentity(id);
  assert.equal(identity?.phoneJid, '201012345678@s.whatsapp.net');
  assert.equal(identity?.lid, '123456789012345@lid');
  assert.equal(identity?.pushName, 'John Doe');
  assert.equal(identity?.platform, 'android');
  assert.equal(identity?.stale, false);

  // Outbox and bus carry the same envelopes, in order.
  const events = await h.store.listEvents({ afterSeq: 0, accountId: h.accountId, limit: 100 });
  const statusEvents = events.filter((e) => e.event === 'session.status');
  assert.deepEqual(
    statusEvents.map((e) => (e.payload as EventEnvelope<{ status: string }>).payload.status),
    ['STARTING', 'SCAN_QR_CODE', 'WORKING'],
  );
  const working = statusEvents.at(-1)!.payload as EventEnvelope;
  assert.match(working.id, /^evt_/);
  assert.equal(working.session, id);
  assert.equal(working.instance_id, id);
  assert.equal(working.engine, 'BAILEYS');
  assert.equal(working.event, 'session.status');
  assert.equal(typeof working.timestamp, 'number');
  assert.deepEqual(working.payload, { name: `inst-${id}`, status: 'WORKING', reason: 'connected' });
  assert.deepEqual(working.me, { id: '201012345678@c.us', lid: '123456789012345@lid', pushName: 'John Doe' });
  assert.equal(statusEvents.at(-1)!.id, working.id);
  const identityEvent = events.find((e) => e.event === 'session.identity')!.payload as EventEnvelope<
    Record<string, unknown>
  >;
  assert.equal(identityEvent.payload.id, '201012345678@c.us');
  assert.equal(identityEvent.payload.platform, 'android');
  assert.deepEqual(
    h.published.map((m) => m.envelope.id),
    events.map((e) => (e.payload as EventEnvelope).id),
  );
  assert.deepEqual(
    h.published.map((m) => m.seq),
    events.map((e) => e.seq),
  );
  assert.ok(h.published.every((m) => m.accountId === h.accountId));
});

test('start on a running session is idempotent: no second connection', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance();
  await Promise.all([h.manager.start(id), h.manager.start(id), h.manager.start(id)]);
  const s = await h.engine.next(id, 1);
  s.qr();
  await h.waitStatus(id, 'SCAN_QR_CODE');
  assert.deepEqual(await h.manager.start(id), { status: 'SCAN_QR_CODE', reason: 'qr_ready' });
  await s.open();
  await h.waitStatus(id, 'WORKING');
  assert.deepEqual(await h.manager.start(id), { status: 'WORKING', reason: 'connected' });
  await settle();
  assert.equal(h.engine.startsFor(id).length, 1);
  assert.equal(s.ended, false);
});

test('stop keeps credentials, marks the identity stale; start logs in again without QR', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance();
  await h.manager.start(id);
  const s1 = await h.engine.next(id, 1);
  await s1.open();
  await h.waitStatus(id, 'WORKING');

  assert.deepEqual(await h.manager.stop(id), { status: 'STOPPED', reason: 'stop_requested' });
  assert.equal(s1.ended, true);
  assert.equal((await h.store.getIdentity(id))?.stale, true);
  assert.equal(await h.engine.isLinked(s1.opts.auth), true, 'credentials kept');
  assert.deepEqual(await h.manager.stop(id), { status: 'STOPPED', reason: 'stop_requested' }, 'stop is idempotent');

  await h.manager.start(id);
  const s2 = await h.engine.next(id, 2);
  assert.equal(await h.engine.isLinked(s2.opts.auth), true);
  await s2.open();
  await h.waitStatus(id, 'WORKING', 'connected');
  assert.equal((await h.store.getIdentity(id))?.stale, false);
  assert.equal(h.manager.activeTimers, 0);
});

test('credentials are encrypted at rest with the master key', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance();
  await h.manager.start(id);
  await (await h.engine.next(id, 1)).open();
  await h.waitStatus(id, 'WORKING');
  const raw = await h.store.readAuth(id, 'creds', ['me']);
  assert.ok(raw.get('me'));
  assert.ok(!raw.get('me')!.toString('latin1').includes('John Doe'));
});

test('connection lost → STARTING/connection_lost → reconnect after backoff → WORKING', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance();
  await h.manager.start(id);
  await (await h.engine.next(id, 1)).open();
  await h.waitStatus(id, 'WORKING');

  h.engine.sessions.at(-1)!.close('connection_lost');
  await h.waitStatus(id, 'STARTING', 'connection_lost');
  assert.equal((await h.store.getIdentity(id))?.stale, true);
  const s2 = await h.engine.next(id, 2);
  await s2.open();
  await h.waitStatus(id, 'WORKING', 'connected');
  assert.equal(h.manager.activeTimers, 0);
});

test('consecutive failures past maxRestarts → FAILED/restart_limit; start resets the count', async (t) => {
  const h = await harness({ maxRestarts: 2 });
  t.after(() => h.close());
  const id = await h.createInstance();
  h.engine.onStart = (s) => s.close('connection_lost');
  await h.manager.start(id);
  await h.waitStatus(id, 'FAILED', 'restart_limit');
  await settle(80);
  assert.equal(h.engine.startsFor(id).length, 3, 'first attempt + 2 retries');
  assert.deepEqual(
    await historyOf(h.store, id),
    [
      'STOPPED/created',
      'STARTING/start_requested',
      'STARTING/connection_lost',
      'STARTING/connection_lost',
      'FAILED/restart_limit',
    ].slice(-5),
  );
  assert.equal(h.manager.activeTimers, 0);

  h.engine.onStart = null;
  assert.deepEqual(await h.manager.start(id), { status: 'STARTING', reason: 'start_requested' });
  await (await h.engine.next(id, 4)).open();
  await h.waitStatus(id, 'WORKING');
});

test('an open resets the failure count (drops spread over time never hit the limit)', async (t) => {
  const h = await harness({ maxRestarts: 1 });
  t.after(() => h.close());
  const id = await h.createInstance();
  h.engine.onStart = (s) => void s.open();
  await h.manager.start(id);
  for (let i = 1; i <= 4; i++) {
    await h.waitStatus(id, 'WORKING');
    h.engine.startsFor(id)[i - 1]!.close('connection_lost');
    await h.engine.next(id, i + 1);
  }
  await h.waitStatus(id, 'WORKING');
});

test('phone unlinks the device → FAILED/device_removed, credentials and identity cleared; restart shows a QR', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance();
  await h.manager.start(id);
  const s = await h.engine.next(id, 1);
  await s.open();
  await h.waitStatus(id, 'WORKING');
  s.close('device_removed');
  await h.waitStatus(id, 'FAILED', 'device_removed');
  assert.equal(await h.store.getIdentity(id), null);
  assert.equal(await h.engine.isLinked(s.opts.auth), false);
  const last = (await h.store.listEvents({ afterSeq: 0, limit: 100 }))
    .filter((e) => e.event === 'session.status')
    .at(-1)!;
  assert.equal((last.payload as EventEnvelope).me, null);
  await settle();
  assert.equal(h.engine.startsFor(id).length, 1, 'no retry');

  assert.deepEqual(await h.manager.restart(id), { status: 'STARTING', reason: 'restart_requested' });
  (await h.engine.next(id, 2)).qr();
  await h.waitStatus(id, 'SCAN_QR_CODE', 'qr_ready');
});

test('replaced elsewhere → STOPPED/connection_replaced, no retry; QR never scanned → STOPPED/qr_timeout', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const a = await h.createInstance();
  const b = await h.createInstance();
  await h.manager.start(a);
  await (await h.engine.next(a, 1)).open();
  await h.waitStatus(a, 'WORKING');
  h.engine.startsFor(a)[0]!.close('connection_replaced', false);
  await h.waitStatus(a, 'STOPPED', 'connection_replaced');
  assert.equal(await h.engine.isLinked(h.engine.startsFor(a)[0]!.opts.auth), true, 'credentials kept');

  await h.manager.start(b);
  const sb = await h.engine.next(b, 1);
  sb.qr();
  await h.waitStatus(b, 'SCAN_QR_CODE');
  sb.close('qr_timeout', false);
  await h.waitStatus(b, 'STOPPED', 'qr_timeout');
  assert.equal(h.manager.currentQr(b), null);
  await settle();
  assert.equal(h.engine.startsFor(a).length + h.engine.startsFor(b).length, 2);
});

test('certificate_invalid and pairing_failed → FAILED without retry', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const a = await h.createInstance();
  await h.manager.start(a);
  (await h.engine.next(a, 1)).close('certificate_invalid', false);
  await h.waitStatus(a, 'FAILED', 'certificate_invalid');
  const b = await h.createInstance();
  await h.manager.start(b);
  (await h.engine.next(b, 1)).qr().close('pairing_failed', false);
  await h.waitStatus(b, 'FAILED', 'pairing_failed');
  await settle(60);
  assert.equal(h.engine.sessions.length, 2);
  assert.equal(h.manager.activeTimers, 0);
});

test('logout from WORKING unlinks, clears credentials and identity, shows a fresh QR', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance();
  await h.manager.start(id);
  const s1 = await h.engine.next(id, 1);
  s1.qr('old-qr');
  await s1.open();
  await h.waitStatus(id, 'WORKING');

  assert.deepEqual(await h.manager.logout(id), { status: 'SCAN_QR_CODE', reason: 'logout_requested' });
  assert.equal(s1.loggedOut, true);
  assert.equal(await h.store.getIdentity(id), null);
  assert.equal(h.manager.liveIdentity(id), null);
  const s2 = await h.engine.next(id, 2);
  assert.equal(await h.engine.isLinked(s2.opts.auth), false);
  setTimeout(() => s2.qr('fresh-qr'), 20);
  const qr = await h.manager.waitForQr(id, 2000);
  assert.equal(qr?.value, 'fresh-qr');
  await settle();
  const inst = await h.store.getInstance(id);
  assert.equal(inst?.status, 'SCAN_QR_CODE');
  assert.equal(inst?.reason, 'logout_requested');
  // The pairing code works on the fresh attempt.
  assert.equal(await h.manager.requestPairingCode(id, '201099999999'), 'ABCD-1234');
  assert.deepEqual(s2.pairingPhones, ['201099999999']);
});

test('pairing code: only while a QR is shown', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance();
  await assert.rejects(h.manager.requestPairingCode(id, '201012345678'), (e: unknown) => {
    assert.ok(e instanceof InvalidStateError);
    assert.equal(e.status, 'STOPPED');
    return true;
  });
  await h.manager.start(id);
  const s = await h.engine.next(id, 1);
  s.qr();
  await h.waitStatus(id, 'SCAN_QR_CODE');
  assert.equal(await h.manager.requestPairingCode(id, '201012345678'), 'ABCD-1234');
  await s.open();
  await h.waitStatus(id, 'WORKING');
  await assert.rejects(h.manager.requestPairingCode(id, '201012345678'), InvalidStateError);
});

test('linked number ≠ expected_phone → STOPPED/identity_mismatch, device unlinked, never WORKING', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance({ expectedPhone: '+20 111 222 3333' });
  await h.manager.start(id);
  const s = await h.engine.next(id, 1);
  s.qr();
  await s.open();
  await h.waitStatus(id, 'STOPPED', 'identity_mismatch');
  assert.equal(s.loggedOut, true);
  assert.equal(await h.store.getIdentity(id), null);
  assert.equal(await h.engine.isLinked(s.opts.auth), false);
  assert.ok(!(await historyOf(h.store, id)).includes('WORKING/connected'));
  const mismatch = (await h.store.listEvents({ afterSeq: 0, limit: 100 })).find(
    (e) => e.event === 'session.identity_mismatch',
  );
  assert.deepEqual((mismatch?.payload as EventEnvelope).payload, { expected: '201112223333', actual: '201012345678' });

  // The right phone passes.
  const ok = await h.createInstance({ expectedPhone: '201012345678' });
  await h.manager.start(ok);
  await (await h.engine.next(ok, 1)).open();
  await h.waitStatus(ok, 'WORKING', 'connected');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BusMessage } from '../../src/events/index.ts';
import type { EventEnvelope } from '../../src/events/index.ts';
import { ManagerClosedError, type SessionManager } from '../../src/sessions/index.ts';
import type { MeAnswer } from '../../src/sessions/index.ts';
import type { SessionStatus } from '../../src/domain/index.ts';
import { IDENTITY } from './fake-engine.ts';
import { harness, settle, type Harness } from './harness.ts';

/**
 * The /me answer of the session manager against its own events: a bus subscriber that asks /me synchronously, in
 * the very tick an event is published, must always get the answer that event implies (WORKING → the live identity,
 * equal to the session.identity payload; anything else → not connected with that status). No stale tick.
 */

interface Watch {
  violations: string[];
  seen: string[];
  stop(): void;
}

function watchMe(h: Harness, id: string): Watch {
  const violations: string[] = [];
  const seen: string[] = [];
  const unsubscribe = h.bus.subscribe((m: BusMessage) => {
    if (m.envelope.instance_id !== id) return;
    const answer = h.manager.me(id, 'STOPPED'); // same tick as the publish
    const env = m.envelope as EventEnvelope<Record<string, unknown>>;
    if (env.event === 'session.status') {
      const status = env.payload.status as SessionStatus;
      seen.push(`${status}:${answer.kind}`);
      if (status === 'WORKING') {
        if (answer.kind !== 'working') violations.push(`WORKING event, /me ${JSON.stringify(answer)}`);
      } else if (answer.kind !== 'not_connected' || answer.status !== status) {
        violations.push(
          `${status} event, /me ${answer.kind === 'working' ? `served ${answer.entry.json}` : JSON.stringify(answer)}`,
        );
      }
    } else if (env.event === 'session.identity') {
      seen.push(`identity:${answer.kind}`);
      if (answer.kind !== 'working' || answer.entry.json !== JSON.stringify(env.payload)) {
        violations.push(`identity event ${JSON.stringify(env.payload)}, /me ${JSON.stringify(answer)}`);
      }
    }
  });
  return { violations, seen, stop: unsubscribe };
}

const working = (m: SessionManager, id: string): Extract<MeAnswer, { kind: 'working' }> => {
  const a = m.me(id, 'WORKING');
  assert.equal(a.kind, 'working', JSON.stringify(a));
  return a as Extract<MeAnswer, { kind: 'working' }>;
};

test('every status and identity event agrees with /me in its own tick, across a whole life', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance();
  const w = watchMe(h, id);

  assert.deepEqual(h.manager.me(id, 'STOPPED'), { kind: 'not_connected', status: 'STOPPED' });
  await h.manager.start(id);
  const s1 = await h.engine.next(id, 1);
  s1.qr();
  await h.waitStatus(id, 'SCAN_QR_CODE');
  await s1.open({ ...IDENTITY, pushName: null }); // personal account before its name syncs
  await h.waitStatus(id, 'WORKING');
  await settle();
  assert.equal(working(h.manager, id).entry.body.displayName, '+201012345678');

  // The name arrives (app-state sync): new body, new ETag, one session.identity with the same body.
  const before = working(h.manager, id).entry;
  s1.emit('identity', { ...IDENTITY, pushName: 'John Doe' });
  await settle();
  const after = working(h.manager, id).entry;
  assert.equal(after.body.pushName, 'John Doe');
  assert.notEqual(after.etag, before.etag);
  // A re-report of the same identity changes nothing (same entry, no event).
  const identityEvents = () => h.published.filter((m) => m.envelope.event === 'session.identity').length;
  const count = identityEvents();
  s1.emit('identity', { ...IDENTITY, pushName: 'John Doe' });
  await settle();
  assert.equal(working(h.manager, id).entry, after);
  assert.equal(identityEvents(), count);

  // stop → STOPPED: not served; the stored identity is kept, marked stale.
  await h.manager.stop(id);
  assert.deepEqual(h.manager.me(id, 'STOPPED'), { kind: 'not_connected', status: 'STOPPED' });
  const stale = await h.store.getIdentity(id);
  assert.equal(stale?.stale, true);
  assert.equal(stale?.pushName, 'John Doe');

  // start again with saved credentials → WORKING, then the connection drops → STARTING → WORKING.
  await h.manager.start(id);
  await (await h.engine.next(id, 2)).open();
  await h.waitStatus(id, 'WORKING');
  await settle();
  assert.equal((await h.store.getIdentity(id))?.stale, false);
  assert.equal((await h.store.getIdentity(id))?.firstSeenAt, stale?.firstSeenAt, 'same account: first seen survives');
  (await h.engine.next(id, 2)).close('connection_lost');
  await h.waitStatus(id, 'STARTING', 'connection_lost');
  await (await h.engine.next(id, 3)).open();
  await h.waitStatus(id, 'WORKING');
  await settle();

  // logout → SCAN_QR_CODE, identity cleared.
  await h.manager.logout(id);
  assert.deepEqual(h.manager.me(id, 'SCAN_QR_CODE'), { kind: 'not_connected', status: 'SCAN_QR_CODE' });
  assert.equal(await h.store.getIdentity(id), null);

  // another account links, then the phone unlinks → FAILED/device_removed, identity cleared.
  const s4 = await h.engine.next(id, 4);
  await s4.open({ ...IDENTITY, deviceJid: '201099999999:2@s.whatsapp.net', phone: '201099999999', lid: null });
  await h.waitStatus(id, 'WORKING');
  await settle();
  assert.equal(working(h.manager, id).entry.body.id, '201099999999@c.us');
  s4.close('device_removed');
  await h.waitStatus(id, 'FAILED', 'device_removed');
  await settle();
  assert.equal(await h.store.getIdentity(id), null);

  w.stop();
  assert.deepEqual(w.violations, []);
  // The watch saw each kind of change (guards against a listener that never ran).
  for (const s of [
    'WORKING:working',
    'identity:working',
    'STOPPED:not_connected',
    'STARTING:not_connected',
    'SCAN_QR_CODE:not_connected',
    'FAILED:not_connected',
  ]) {
    assert.ok(w.seen.includes(s), `${s} not seen in ${w.seen.join(' ')}`);
  }
});

test('the session.identity payload on first WORKING is byte-identical to the /me body', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance();
  await h.manager.start(id);
  await (
    await h.engine.next(id, 1)
  ).open({ ...IDENTITY, platform: 'smba', businessName: 'Acme Ltd', pushName: 'Acme Ltd' });
  await h.waitStatus(id, 'WORKING');
  await settle();
  const event = h.published.find((m) => m.envelope.event === 'session.identity')!;
  const entry = working(h.manager, id).entry;
  assert.equal(JSON.stringify(event.envelope.payload), entry.json);
  assert.equal(entry.body.platform, 'android');
  assert.equal(entry.body.platformRaw, 'smba');
  assert.equal(entry.body.displayName, 'Acme Ltd');
});

test('expected_phone mismatch: never served, event with both numbers', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance({ expectedPhone: '+20 109 999 9999' });
  const w = watchMe(h, id);
  await h.manager.start(id);
  const s = await h.engine.next(id, 1);
  s.qr();
  await s.open();
  await h.waitStatus(id, 'STOPPED', 'identity_mismatch');
  await settle();
  w.stop();
  assert.deepEqual(w.violations, []);
  assert.ok(!w.seen.some((x) => x.endsWith(':working')), w.seen.join(' '));
  assert.deepEqual(h.manager.me(id, 'STOPPED'), { kind: 'not_connected', status: 'STOPPED' });
  assert.equal(s.loggedOut, true, 'logged out at once');
  const mismatch = h.published.find((m) => m.envelope.event === 'session.identity_mismatch');
  assert.deepEqual(mismatch?.envelope.payload, { expected: '201099999999', actual: '201012345678' });
  assert.equal(h.published.filter((m) => m.envelope.event === 'session.identity').length, 0);
});

test('forget drops the entry; stored WORKING without a runtime here is unreachable; after shutdown: ManagerClosedError', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const id = await h.createInstance();
  await h.manager.start(id);
  await (await h.engine.next(id, 1)).open();
  await h.waitStatus(id, 'WORKING');
  await settle();
  working(h.manager, id);
  await h.manager.forget(id);
  // The store still says WORKING (forget records nothing), but this node no longer holds the connection.
  assert.deepEqual(h.manager.me(id, 'WORKING'), { kind: 'unreachable' });

  const other = await h.createInstance({ status: 'WORKING', reason: 'connected' });
  assert.deepEqual(h.manager.me(other, 'WORKING'), { kind: 'unreachable' });

  const live = await h.createInstance();
  await h.manager.start(live);
  await (await h.engine.next(live, 1)).open();
  await h.waitStatus(live, 'WORKING');
  await settle();
  working(h.manager, live);
  await h.manager.shutdown();
  assert.throws(() => h.manager.me(live, 'WORKING'), ManagerClosedError);
});

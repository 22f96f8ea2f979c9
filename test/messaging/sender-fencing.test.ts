import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { OutboundSender } from '../../src/messaging/outbound-sender.ts';
import type { LeaseToken } from '../../src/store/index.ts';
import { FakeEngine } from '../sessions/fake-engine.ts';
import { type ClusterFixture, clusterFixture } from '../cluster/helpers.ts';

/**
 * The outbound sender on several nodes, against the real PostgreSQL (docs/multi-node.md "Fencing"): its marks carry the
 * instance's lease, so a node that lost the instance cannot mark a row sent (the new owner sends it, with the same id);
 * and the sweep finds rows another node queued, so they are sent without anyone kicking the owner.
 */

const silent = pino({ level: 'silent' });
let f: ClusterFixture;
before(async () => {
  f = await clusterFixture();
});
after(() => f.close());

function fakeSession(instanceId: string) {
  return new FakeEngine().start({
    instanceId,
    auth: { get: async () => ({}), set: async () => {}, clear: async () => {} },
  });
}

/** A sender of one node: its session for the instance, and the lease token it believes it holds. */
const senderFor = (session: ReturnType<typeof fakeSession>, lease: LeaseToken) =>
  new OutboundSender(
    f.store,
    () => session,
    silent,
    {},
    Date.now,
    () => lease,
  );

const queue = (instanceId: string, body: string) =>
  f.store.outbound.enqueue({
    id: `FENCE${body}${Date.now()}`,
    instanceId,
    accountId: f.accountId,
    chatJid: '201099999999@s.whatsapp.net',
    body,
    replyTo: null,
  });

test('a node whose lease was taken over cannot mark the row; the new owner sends it', async () => {
  const [id] = await f.instances(1, 'WORKING');
  const a = f.node();
  const b = f.node();
  const [stale] = await a.acquire('node-a', [id!], 60_000);
  await a.release([stale!]);
  const [current] = await b.acquire('node-b', [id!], 60_000);
  const row = await queue(id!, 'fenced');

  const oldSession = fakeSession(id!);
  const old = senderFor(oldSession, stale!);
  old.kick(id!);
  await new Promise((r) => setTimeout(r, 300));
  await old.close();
  assert.equal(oldSession.sent.length, 1, 'the stale node handed it to its (replaced) socket');
  const after = await f.store.outbound.get(row.id);
  assert.deepEqual([after?.status, after?.attempts], ['queued', 0], 'but its mark was refused, no attempt counted');

  const newSession = fakeSession(id!);
  const owner = senderFor(newSession, current!);
  owner.kick(id!);
  assert.equal((await owner.settled(row.id, 5_000))?.status, 'sent');
  assert.deepEqual(
    newSession.sent.map((m) => m.id),
    [row.id],
    'sent by the owner under the same id',
  );
  await owner.close();
});

test('the sweep sends rows another node queued, with no kick', async () => {
  const [id] = await f.instances(1, 'WORKING');
  const [token] = await f.node().acquire('node-c', [id!], 60_000);
  const session = fakeSession(id!);
  const sender = senderFor(session, token!);
  sender.sweepEvery(50);
  const row = await queue(id!, 'swept'); // as another node would: a row, and no kick here
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await f.store.outbound.get(row.id))?.status, 'sent');
  assert.deepEqual(
    session.sent.map((m) => m.id),
    [row.id],
  );
  await sender.close();
});

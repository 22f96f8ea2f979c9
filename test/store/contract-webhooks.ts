import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../../src/lib/index.ts';
import type { Store } from '../../src/store/index.ts';
import type { ClaimedLane, SubscriptionRecord } from '../../src/store/index.ts';
import { ISO, newAccount, newInstance, unique, type GetStore } from './contract-helpers.ts';

const FAR = '9999-01-01T00:00:00.000Z';
const later = (ms: number): string => new Date(Date.now() + ms).toISOString();

async function subscribe(
  store: Store,
  accountId: string,
  instanceId: string | null,
  opts: { events?: string[]; isActive?: boolean; url?: string } = {},
): Promise<SubscriptionRecord> {
  return store.webhooks.createSubscription({
    id: newId('whk'),
    accountId,
    instanceId,
    url: opts.url ?? `https://example.com/${unique('hook')}`,
    events: opts.events ?? ['*'],
    secret: Buffer.from([0, 1, 2, 255]),
    isActive: opts.isActive ?? true,
  });
}

const append = (store: Store, accountId: string, instanceId: string, event = 'session.status', payload: unknown = {}) =>
  store.appendEvent({ id: unique('evt'), accountId, instanceId, event, payload });

/** Lanes are global: park every lane earlier tests left due, so a test claims only its own. */
async function park(store: Store): Promise<void> {
  await store.webhooks.claimLanes({ now: FAR, leaseUntil: FAR, limit: 100_000, token: 'parked' });
}

async function claimAll(store: Store, token = unique('tok')): Promise<ClaimedLane[]> {
  return store.webhooks.claimLanes({ now: new Date().toISOString(), leaseUntil: later(60_000), limit: 1000, token });
}

/** Contract: webhook subscriptions, fan-out in the event's transaction, lanes, deliveries, replay. */
export function webhooksContract(store: GetStore): void {
  describe('webhooks', () => {
    test('subscriptions: create, list by exact scope, update, delete; secret bytes round-trip', async () => {
      const account = await newAccount(store());
      const inst = await newInstance(store(), account.id);
      const own = await subscribe(store(), account.id, inst.id, { events: ['message', 'session.status'] });
      const wide = await subscribe(store(), account.id, null);
      assert.match(own.createdAt, ISO);
      assert.deepEqual(own.secret, Buffer.from([0, 1, 2, 255]));
      assert.deepEqual(own.events, ['message', 'session.status']);
      assert.deepEqual(await store().webhooks.listSubscriptions({ accountId: account.id, instanceId: inst.id }), [own]);
      assert.deepEqual(await store().webhooks.listSubscriptions({ accountId: account.id, instanceId: null }), [wide]);
      const updated = await store().webhooks.updateSubscription(own.id, { events: ['*'], isActive: false });
      assert.deepEqual(updated, { ...own, events: ['*'], isActive: false });
      assert.equal(await store().webhooks.updateSubscription('whk_missing', { isActive: true }), null);
      assert.equal(await store().webhooks.deleteSubscription(own.id), true);
      assert.equal(await store().webhooks.deleteSubscription(own.id), false);
      assert.deepEqual(await store().webhooks.listSubscriptions({ accountId: account.id, instanceId: inst.id }), []);
    });

    test('appendEvent fans out to matching active subscriptions only, once each', async () => {
      const account = await newAccount(store());
      const inst = await newInstance(store(), account.id);
      const other = await newInstance(store(), account.id);
      const statusOnly = await subscribe(store(), account.id, inst.id, { events: ['session.status'] });
      const messagesOnly = await subscribe(store(), account.id, inst.id, { events: ['message'] });
      const wide = await subscribe(store(), account.id, null);
      await subscribe(store(), account.id, inst.id, { isActive: false });
      await subscribe(store(), account.id, other.id);
      const event = await append(store(), account.id, inst.id, 'session.status');
      const listed = await store().webhooks.listDeliveries({ accountId: account.id, instanceId: inst.id, limit: 100 });
      assert.deepEqual(listed.map((d) => d.subscriptionId).sort(), [statusOnly.id, wide.id].sort());
      for (const d of listed) {
        assert.equal(d.eventId, event.id);
        assert.equal(d.eventSeq, event.seq);
        assert.equal(d.event, 'session.status');
        assert.equal(d.status, 'pending');
        assert.equal(d.attempts, 0);
        assert.equal(d.deliveredAt, null);
        assert.match(d.nextAttemptAt ?? '', ISO);
      }
      assert.ok(!listed.some((d) => d.subscriptionId === messagesOnly.id));
    });

    test('a rolled-back event leaves no delivery', async () => {
      const account = await newAccount(store());
      const inst = await newInstance(store(), account.id);
      await subscribe(store(), account.id, inst.id);
      await assert.rejects(
        store().tx(async (tx) => {
          await append(tx, account.id, inst.id);
          throw new Error('abort');
        }),
      );
      assert.deepEqual(await store().webhooks.listDeliveries({ accountId: account.id, limit: 10 }), []);
    });

    test('lanes: claim leases due lanes once; deliveries come in event order; release wakes the next', async () => {
      await park(store());
      const account = await newAccount(store());
      const inst = await newInstance(store(), account.id);
      const sub = await subscribe(store(), account.id, inst.id);
      const events = [];
      for (let i = 0; i < 3; i++) events.push(await append(store(), account.id, inst.id, 'message', { i }));
      const [lane, ...rest] = await claimAll(store(), 'node-a');
      assert.deepEqual(rest, []);
      assert.equal(lane!.subscriptionId, sub.id);
      assert.equal(lane!.instanceId, inst.id);
      assert.deepEqual(await claimAll(store(), 'node-b'), [], 'a leased lane is not claimed again');
      const work = await store().webhooks.laneDeliveries(lane!.id, 10);
      assert.deepEqual(
        work.map((w) => w.eventId),
        events.map((e) => e.id),
      );
      assert.deepEqual(JSON.parse(work[0]!.body), { i: 0 });
      assert.deepEqual(work[0]!.secret, Buffer.from([0, 1, 2, 255]));
      assert.equal(work[0]!.url, sub.url);

      const at = new Date().toISOString();
      assert.equal(
        await store().webhooks.completeDelivery(work[0]!.id, 0, { status: 'delivered', responseCode: 204, at }),
        true,
      );
      assert.equal(
        await store().webhooks.completeDelivery(work[0]!.id, 0, { status: 'delivered', responseCode: 204, at }),
        false,
        'a done delivery is not completed twice',
      );
      // The second one fails and waits a minute: the lane (and so the third) must wait with it.
      await store().webhooks.completeDelivery(work[1]!.id, 0, {
        status: 'failed',
        responseCode: 500,
        error: 'x'.repeat(3000),
        nextAttemptAt: later(60_000),
        at,
      });
      assert.equal(await store().webhooks.renewLane(lane!.id, 'node-b', FAR), false, 'only the holder renews');
      assert.equal(await store().webhooks.renewLane(lane!.id, 'node-a', later(60_000)), true);
      await store().webhooks.releaseLane(lane!.id, 'node-a');
      assert.deepEqual(await claimAll(store()), [], 'head is backing off');
      const failed = await store().webhooks.getDelivery(work[1]!.id);
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.attempts, 1);
      assert.equal(failed?.responseCode, 500);
      assert.equal(Buffer.byteLength(failed?.lastError ?? ''), 1024, 'last_error kept to 1 KB');
      const due = await store().webhooks.claimLanes({
        now: later(61_000),
        leaseUntil: later(120_000),
        limit: 10,
        token: 'node-c',
      });
      assert.deepEqual(
        due.map((l) => l.id),
        [lane!.id],
        'due again after its retry time',
      );
      assert.deepEqual(
        (await store().webhooks.laneDeliveries(lane!.id, 10)).map((w) => w.eventId),
        [events[1]!.id, events[2]!.id],
      );
      const done = await store().webhooks.getDelivery(work[0]!.id);
      assert.equal(done?.status, 'delivered');
      assert.equal(done?.nextAttemptAt, null);
      assert.match(done?.deliveredAt ?? '', ISO);
      await store().webhooks.releaseLane(lane!.id, 'node-c');
    });

    test('a dead head lets the lane move on; an idle lane wakes when an event arrives', async () => {
      await park(store());
      const account = await newAccount(store());
      const inst = await newInstance(store(), account.id);
      await subscribe(store(), account.id, inst.id);
      const first = await append(store(), account.id, inst.id);
      const [lane] = await claimAll(store(), 'n');
      const [head] = await store().webhooks.laneDeliveries(lane!.id, 1);
      assert.equal(head!.eventId, first.id);
      await store().webhooks.completeDelivery(head!.id, 0, {
        status: 'dead',
        responseCode: null,
        error: 'gone',
        at: new Date().toISOString(),
      });
      await store().webhooks.releaseLane(lane!.id, 'n');
      assert.deepEqual(await claimAll(store()), [], 'nothing left: idle');
      const second = await append(store(), account.id, inst.id);
      const [again] = await claimAll(store(), 'm');
      assert.equal(again!.id, lane!.id);
      assert.deepEqual(
        (await store().webhooks.laneDeliveries(lane!.id, 10)).map((w) => w.eventId),
        [second.id],
      );
      const dead = await store().webhooks.getDelivery(head!.id);
      assert.equal(dead?.status, 'dead');
      assert.equal(dead?.lastError, 'gone');
      await store().webhooks.releaseLane(lane!.id, 'm');
    });

    test('concurrent claims take disjoint lanes; releaseAllLanes frees them', async () => {
      await park(store());
      const account = await newAccount(store(), 20);
      for (let i = 0; i < 12; i++) {
        const inst = await newInstance(store(), account.id);
        await subscribe(store(), account.id, inst.id);
        await append(store(), account.id, inst.id);
      }
      const now = new Date().toISOString();
      const claims = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          store().webhooks.claimLanes({ now, leaseUntil: later(60_000), limit: 5, token: `t${i}` }),
        ),
      );
      const ids = claims.flat().map((l) => l.id);
      assert.equal(new Set(ids).size, ids.length, 'no lane claimed twice');
      assert.equal(ids.length, 12);
      assert.ok((await store().webhooks.releaseAllLanes()) >= 12);
      const reclaimed = new Set((await claimAll(store())).map((l) => l.id));
      assert.ok(
        ids.every((id) => reclaimed.has(id)),
        'claimable again',
      );
    });

    test('redeliver queues a delivered one again; an attempt of the old generation cannot complete it', async () => {
      await park(store());
      const account = await newAccount(store());
      const inst = await newInstance(store(), account.id);
      await subscribe(store(), account.id, inst.id);
      await append(store(), account.id, inst.id);
      const [lane] = await claimAll(store(), 'n');
      const [work] = await store().webhooks.laneDeliveries(lane!.id, 1);
      const at = new Date().toISOString();
      await store().webhooks.completeDelivery(work!.id, 0, { status: 'delivered', responseCode: 200, at });
      await store().webhooks.releaseLane(lane!.id, 'n');
      assert.equal(await store().webhooks.redeliver(work!.id, new Date().toISOString()), true);
      assert.equal(await store().webhooks.redeliver('dlv_missing', at), false);
      const queued = await store().webhooks.getDelivery(work!.id);
      assert.equal(queued?.status, 'pending');
      assert.equal(queued?.attempts, 0);
      assert.equal(queued?.generation, 1);
      assert.equal(queued?.deliveredAt, null);
      assert.equal(
        await store().webhooks.completeDelivery(work!.id, 0, { status: 'delivered', responseCode: 200, at }),
        false,
      );
      const [again] = await claimAll(store(), 'n2');
      assert.equal(again!.id, lane!.id, 'the lane woke up');
      assert.equal(
        await store().webhooks.completeDelivery(work!.id, 1, { status: 'delivered', responseCode: 200, at }),
        true,
      );
      await store().webhooks.releaseLane(lane!.id, 'n2');
    });

    test('redeliverRange queues a window to every active matching subscription, new ones included', async () => {
      await park(store());
      const account = await newAccount(store());
      const a = await newInstance(store(), account.id);
      const b = await newInstance(store(), account.id);
      const old = await subscribe(store(), account.id, a.id);
      const e1 = await append(store(), account.id, a.id);
      const e2 = await append(store(), account.id, b.id, 'message');
      const e3 = await append(store(), account.id, a.id, 'message');
      const wide = await subscribe(store(), account.id, null, { events: ['message'] });
      const now = new Date().toISOString();
      const window = { accountId: account.id, since: e1.createdAt, until: e2.createdAt, now };
      // e1 → old; e2 → wide (b has no own subscription); e3 is outside when until = e2.createdAt, unless same instant.
      const sameInstant = e3.createdAt === e2.createdAt;
      assert.equal(await store().webhooks.redeliverRange(window), sameInstant ? 4 : 2);
      assert.equal(await store().webhooks.redeliverRange({ ...window, instanceId: b.id }), 1);
      const all = await store().webhooks.listDeliveries({ accountId: account.id, limit: 100 });
      const forWide = all.filter((d) => d.subscriptionId === wide.id).map((d) => d.eventId);
      assert.ok(forWide.includes(e2.id));
      assert.equal(
        all.filter((d) => d.subscriptionId === old.id && d.eventId === e1.id).length,
        1,
        'still one row per pair',
      );
      assert.equal(await store().webhooks.redeliverRange({ ...window, accountId: (await newAccount(store())).id }), 0);
    });

    test('listDeliveries filters by instance, status and since, newest first, up to limit', async () => {
      const account = await newAccount(store());
      const a = await newInstance(store(), account.id);
      const b = await newInstance(store(), account.id);
      await subscribe(store(), account.id, null);
      await append(store(), account.id, a.id);
      const second = await append(store(), account.id, b.id);
      const third = await append(store(), account.id, a.id);
      const all = await store().webhooks.listDeliveries({ accountId: account.id, limit: 10 });
      assert.deepEqual(all.map((d) => d.eventId).slice(0, 2), [third.id, second.id]);
      assert.equal(all.length, 3);
      assert.deepEqual(
        (await store().webhooks.listDeliveries({ accountId: account.id, instanceId: b.id, limit: 10 })).map(
          (d) => d.eventId,
        ),
        [second.id],
      );
      assert.equal((await store().webhooks.listDeliveries({ accountId: account.id, limit: 2 })).length, 2);
      assert.equal(
        (await store().webhooks.listDeliveries({ accountId: account.id, status: 'delivered', limit: 10 })).length,
        0,
      );
      assert.equal((await store().webhooks.listDeliveries({ accountId: account.id, since: FAR, limit: 10 })).length, 0);
      const foreign = await newAccount(store());
      assert.deepEqual(await store().webhooks.listDeliveries({ accountId: foreign.id, limit: 10 }), []);
    });

    test('deleting an instance deletes its own subscriptions and their deliveries', async () => {
      const account = await newAccount(store());
      const inst = await newInstance(store(), account.id);
      await subscribe(store(), account.id, inst.id);
      await append(store(), account.id, inst.id);
      await store().deleteInstance(inst.id);
      assert.deepEqual(await store().webhooks.listSubscriptions({ accountId: account.id, instanceId: inst.id }), []);
      assert.deepEqual(await store().webhooks.listDeliveries({ accountId: account.id, limit: 10 }), []);
    });
  });
}

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NewOutbound } from '../../src/store/index.ts';
import { ISO, newAccount, newInstance, timeline, unique, type GetStore } from './contract-helpers.ts';

/** Contract: the durable outbound queue (per-instance order, single transition out of queued, cascade on delete). */
export function outboundContract(store: GetStore): void {
  describe('outbound queue', () => {
    async function setup() {
      const account = await newAccount(store());
      const inst = await newInstance(store(), account.id);
      const msg = (over: Partial<NewOutbound> = {}): NewOutbound => ({
        id: unique('3EB0'),
        instanceId: inst.id,
        accountId: account.id,
        chatJid: '201099999999@s.whatsapp.net',
        body: 'hello ✓\n\nSent by: John',
        replyTo: null,
        ...over,
      });
      return { account, inst, msg };
    }

    test('enqueue round-trips; due at once; head is the oldest queued row of that instance only', async () => {
      const { inst, msg, account } = await setup();
      const other = await newInstance(store(), account.id);
      const at = timeline();
      const first = await store().outbound.enqueue(msg({ replyTo: 'Q1', createdAt: at() }));
      await store().outbound.enqueue(msg({ createdAt: at() }));
      await store().outbound.enqueue(msg({ instanceId: other.id, createdAt: at() }));
      assert.equal(first.status, 'queued');
      assert.equal(first.attempts, 0);
      assert.equal(first.replyTo, 'Q1');
      assert.equal(first.body, 'hello ✓\n\nSent by: John');
      assert.equal(first.nextAttemptAt, first.createdAt);
      assert.equal(first.sentAt, null);
      assert.equal(first.waTimestamp, null);
      assert.deepEqual(await store().outbound.head(inst.id), first);
      assert.deepEqual(await store().outbound.get(first.id), first);
      assert.equal(await store().outbound.countQueued(inst.id), 2);
      assert.equal(await store().outbound.countQueued(other.id), 1);
      assert.equal(await store().outbound.get('nope'), null);
    });

    test('markSent moves queued → sent once; the next row becomes head', async () => {
      const { inst, msg } = await setup();
      const a = await store().outbound.enqueue(msg());
      const b = await store().outbound.enqueue(msg());
      assert.ok(b.seq > a.seq);
      const sentAt = new Date().toISOString();
      assert.equal(await store().outbound.markSent(a.id, { sentAt, waTimestamp: 1_764_151_200 }), true);
      assert.equal(await store().outbound.markSent(a.id, { sentAt, waTimestamp: 1 }), false, 'only once');
      const got = await store().outbound.get(a.id);
      assert.equal(got?.status, 'sent');
      assert.equal(got?.sentAt, sentAt);
      assert.match(got!.sentAt!, ISO);
      assert.equal(got?.waTimestamp, 1_764_151_200);
      assert.equal(got?.attempts, 1);
      assert.equal((await store().outbound.head(inst.id))?.id, b.id);
    });

    test('recordFailure backs off or gives up; a failed row leaves the queue and cannot be sent', async () => {
      const { inst, msg } = await setup();
      const a = await store().outbound.enqueue(msg());
      const later = new Date(Date.now() + 60_000).toISOString();
      const retried = await store().outbound.recordFailure(a.id, {
        error: 'x'.repeat(2000),
        nextAttemptAt: later,
        final: false,
      });
      assert.equal(retried?.status, 'queued');
      assert.equal(retried?.attempts, 1);
      assert.equal(retried?.nextAttemptAt, later);
      assert.equal(retried?.lastError?.length, 500, 'errors are bounded');
      assert.equal((await store().outbound.head(inst.id))?.id, a.id, 'a backed-off head still blocks the queue');
      const failed = await store().outbound.recordFailure(a.id, {
        error: 'gave up',
        nextAttemptAt: later,
        final: true,
      });
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.attempts, 2);
      assert.equal(
        await store().outbound.recordFailure(a.id, { error: 'again', nextAttemptAt: later, final: true }),
        null,
      );
      assert.equal(await store().outbound.markSent(a.id, { sentAt: later, waTimestamp: 1 }), false);
      assert.equal(await store().outbound.head(inst.id), null);
      assert.equal(await store().outbound.countQueued(inst.id), 0);
    });

    test('ids are unique; rows go with their instance; a rolled-back enqueue leaves nothing', async () => {
      const { inst, msg } = await setup();
      const a = await store().outbound.enqueue(msg());
      await assert.rejects(store().outbound.enqueue(msg({ id: a.id })));
      const id = unique('3EB0');
      await assert.rejects(
        store().tx(async (tx) => {
          await tx.outbound.enqueue(msg({ id }));
          throw new Error('rollback');
        }),
        /rollback/,
      );
      assert.equal(await store().outbound.get(id), null);
      assert.equal(await store().deleteInstance(inst.id), true);
      assert.equal(await store().outbound.get(a.id), null);
    });
  });
}

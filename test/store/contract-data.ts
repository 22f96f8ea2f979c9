import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TransactionClosedError } from '../../src/store/sql/sql-driver.ts';
import type { AuthWrite, Store } from '../../src/store/index.ts';
import { ISO, newAccount, newInstance, unique, type GetStore } from './contract-helpers.ts';

const buf = (text: string): Buffer => Buffer.from(text, 'utf8');
const texts = (map: Map<string, Buffer>): Record<string, string> =>
  Object.fromEntries([...map].map(([k, v]) => [k, v.toString('utf8')]));

async function instanceOf(store: Store): Promise<{ accountId: string; instanceId: string }> {
  const account = await newAccount(store);
  const inst = await newInstance(store, account.id);
  return { accountId: account.id, instanceId: inst.id };
}

/** Contract: event outbox, auth state, transactions. */
export function dataContract(store: GetStore): void {
  describe('events', () => {
    test('seq is monotonic; payload and createdAt round-trip', async () => {
      const { accountId, instanceId } = await instanceOf(store());
      const payload = { status: 'WORKING', nested: { list: [1, 'två', null], ok: true }, emoji: '✓' };
      const first = await store().appendEvent({
        id: unique('evt'),
        accountId,
        instanceId,
        event: 'session.status',
        payload,
      });
      const second = await store().appendEvent({
        id: unique('evt'),
        accountId,
        instanceId,
        event: 'message',
        payload: 'just a string',
        createdAt: '2026-03-03T03:03:03.333Z',
      });
      assert.ok(Number.isInteger(first.seq) && second.seq > first.seq);
      assert.deepEqual(first.payload, payload);
      assert.match(first.createdAt, ISO);
      assert.equal(second.createdAt, '2026-03-03T03:03:03.333Z');
      assert.deepEqual(await store().listEvents({ afterSeq: first.seq - 1, accountId, limit: 10 }), [first, second]);
    });

    test('concurrent appends get distinct increasing seqs', async () => {
      const { accountId, instanceId } = await instanceOf(store());
      const appended = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store().appendEvent({ id: unique('evt'), accountId, instanceId, event: 'message', payload: { i } }),
        ),
      );
      const listed = await store().listEvents({ afterSeq: 0, accountId, limit: 100 });
      assert.equal(listed.length, 10);
      const seqs = listed.map((e) => e.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
      );
      assert.deepEqual(new Set(seqs), new Set(appended.map((e) => e.seq)));
    });

    test('listEvents filters by afterSeq and account, oldest first, up to limit', async () => {
      const a = await instanceOf(store());
      const b = await instanceOf(store());
      const append = (who: { accountId: string; instanceId: string }, n: number) =>
        store().appendEvent({ id: unique('evt'), ...who, event: 'message', payload: { n } });
      const a1 = await append(a, 1);
      const b1 = await append(b, 1);
      const a2 = await append(a, 2);
      const a3 = await append(a, 3);
      assert.deepEqual(await store().listEvents({ afterSeq: a1.seq, accountId: a.accountId, limit: 10 }), [a2, a3]);
      assert.deepEqual(await store().listEvents({ afterSeq: 0, accountId: a.accountId, limit: 2 }), [a1, a2]);
      assert.deepEqual(await store().listEvents({ afterSeq: a1.seq, limit: 2 }), [b1, a2], 'all accounts');
      assert.deepEqual(await store().listEvents({ afterSeq: a3.seq, accountId: a.accountId, limit: 10 }), []);
    });

    test('event ids are unique', async () => {
      const { accountId, instanceId } = await instanceOf(store());
      const id = unique('evt');
      await store().appendEvent({ id, accountId, instanceId, event: 'message', payload: {} });
      await assert.rejects(store().appendEvent({ id, accountId, instanceId, event: 'message', payload: {} }));
    });
  });

  describe('auth state', () => {
    test('write, read, overwrite, delete by null; scoped by instance and type', async () => {
      const { instanceId } = await instanceOf(store());
      const { instanceId: other } = await instanceOf(store());
      assert.equal((await store().readAuth(instanceId, 'pre-key', ['1'])).size, 0);
      await store().writeAuth(instanceId, [
        { type: 'pre-key', id: '1', value: buf('one') },
        { type: 'pre-key', id: '2', value: buf('two') },
        { type: 'session', id: '1', value: buf('session one') },
      ]);
      await store().writeAuth(other, [{ type: 'pre-key', id: '1', value: buf('other one') }]);
      assert.deepEqual(texts(await store().readAuth(instanceId, 'pre-key', ['1', '2', '3'])), { 1: 'one', 2: 'two' });
      await store().writeAuth(instanceId, [
        { type: 'pre-key', id: '1', value: buf('uno') },
        { type: 'pre-key', id: '2', value: null },
      ]);
      assert.deepEqual(texts(await store().readAuth(instanceId, 'pre-key', ['1', '2'])), { 1: 'uno' });
      assert.deepEqual(texts(await store().readAuth(instanceId, 'session', ['1'])), { 1: 'session one' });
      assert.deepEqual(texts(await store().readAuth(other, 'pre-key', ['1'])), { 1: 'other one' });
      const binary = Buffer.from([0, 255, 1, 254, 0]);
      await store().writeAuth(instanceId, [{ type: 'creds', id: 'creds', value: binary }]);
      assert.deepEqual((await store().readAuth(instanceId, 'creds', ['creds'])).get('creds'), binary);
    });

    test('within one batch the last write of a key wins', async () => {
      const { instanceId } = await instanceOf(store());
      await store().writeAuth(instanceId, [
        { type: 't', id: 'a', value: buf('1') },
        { type: 't', id: 'a', value: buf('2') },
        { type: 't', id: 'b', value: buf('1') },
        { type: 't', id: 'b', value: null },
        { type: 't', id: 'c', value: null },
        { type: 't', id: 'c', value: buf('3') },
      ]);
      assert.deepEqual(texts(await store().readAuth(instanceId, 't', ['a', 'b', 'c'])), { a: '2', c: '3' });
    });

    test('large batches: 1,000 keys written and read back', async () => {
      const { instanceId } = await instanceOf(store());
      const ids = Array.from({ length: 1000 }, (_, i) => String(i));
      await store().writeAuth(
        instanceId,
        ids.map((id) => ({ type: 'pre-key', id, value: buf(`k${id}`) })),
      );
      const read = await store().readAuth(instanceId, 'pre-key', ids);
      assert.equal(read.size, 1000);
      assert.equal(read.get('999')?.toString(), 'k999');
    });

    test('a batch that fails mid-way writes nothing (its deletes included)', async () => {
      const { instanceId } = await instanceOf(store());
      await store().writeAuth(instanceId, [{ type: 'keep', id: 'x', value: buf('kept') }]);
      const writes: AuthWrite[] = [
        { type: 'keep', id: 'x', value: null },
        ...Array.from({ length: 300 }, (_, i) => ({ type: 'pre-key', id: String(i), value: buf('v') })),
      ];
      // A NOT NULL violation far into the batch, after several statements' worth of rows were already sent.
      writes.splice(280, 0, { type: null as unknown as string, id: 'bad', value: buf('v') });
      await assert.rejects(store().writeAuth(instanceId, writes));
      assert.equal((await store().readAuth(instanceId, 'pre-key', ['0', '1', '299'])).size, 0);
      assert.deepEqual(texts(await store().readAuth(instanceId, 'keep', ['x'])), { x: 'kept' });
    });

    test('a batch inside a transaction that throws is rolled back', async () => {
      const { instanceId } = await instanceOf(store());
      await assert.rejects(
        store().tx(async (tx) => {
          await tx.writeAuth(instanceId, [{ type: 'creds', id: 'creds', value: buf('half') }]);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal((await store().readAuth(instanceId, 'creds', ['creds'])).size, 0);
    });

    test('clearAuth removes one instance’s state only', async () => {
      const { instanceId } = await instanceOf(store());
      const { instanceId: other } = await instanceOf(store());
      await store().writeAuth(instanceId, [{ type: 'creds', id: 'creds', value: buf('a') }]);
      await store().writeAuth(other, [{ type: 'creds', id: 'creds', value: buf('b') }]);
      await store().clearAuth(instanceId);
      assert.equal((await store().readAuth(instanceId, 'creds', ['creds'])).size, 0);
      assert.equal((await store().readAuth(other, 'creds', ['creds'])).size, 1);
    });
  });

  describe('transactions', () => {
    test('commit returns fn’s value and makes every write visible', async () => {
      const key = unique('tx');
      const account = await store().tx(async (tx) => {
        await tx.setSetting(key, 'committed');
        const created = await tx.createAccount({ name: key, maxInstances: 1 });
        await newInstance(tx, created.id);
        return created;
      });
      assert.equal(await store().getSetting(key), 'committed');
      assert.equal((await store().listInstances(account.id)).length, 1);
    });

    test('a throwing fn rolls everything back and rethrows', async () => {
      const key = unique('tx');
      const { accountId, instanceId } = await instanceOf(store());
      await assert.rejects(
        store().tx(async (tx) => {
          await tx.setSetting(key, 'never');
          await tx.createAccount({ name: key, maxInstances: 1 });
          await tx.recordStatus(instanceId, { status: 'WORKING', reason: 'connected', at: new Date().toISOString() });
          await tx.appendEvent({ id: unique('evt'), accountId, instanceId, event: 'session.status', payload: {} });
          throw new Error('rollback please');
        }),
        /rollback please/,
      );
      assert.equal(await store().getSetting(key), null);
      assert.ok(!(await store().listAccounts()).some((a) => a.name === key));
      assert.equal((await store().getInstance(instanceId))?.status, 'STOPPED');
      assert.equal((await store().listStatusHistory(instanceId, 10)).length, 1);
      assert.deepEqual(await store().listEvents({ afterSeq: 0, accountId, limit: 10 }), []);
    });

    test('tx on a tx handle runs in the same transaction', async () => {
      const key = unique('tx');
      await assert.rejects(
        store().tx(async (tx) => {
          await tx.tx(async (inner) => inner.setSetting(key, 'inner'));
          assert.equal(await tx.getSetting(key), 'inner', 'visible inside');
          throw new Error('outer fails');
        }),
      );
      assert.equal(await store().getSetting(key), null, 'the inner write went with the outer rollback');
    });

    test('a tx handle used after its transaction ended is refused', async () => {
      let leaked: Store | undefined;
      await store().tx(async (tx) => {
        leaked = tx;
      });
      await assert.rejects(leaked!.getSetting('x'), TransactionClosedError);
    });

    test('a store handle used inside tx reads committed data and the tx sees its own writes', async () => {
      const key = unique('tx');
      await store().setSetting(key, 'before');
      await store().tx(async (tx) => {
        await tx.setSetting(key, 'inside');
        assert.equal(await tx.getSetting(key), 'inside');
      });
      assert.equal(await store().getSetting(key), 'inside');
    });
  });
}

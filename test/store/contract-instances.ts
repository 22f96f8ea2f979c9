import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IdentityRecord } from '../../src/domain/index.ts';
import { ISO, newAccount, newInstance, timeline, type GetStore } from './contract-helpers.ts';

const identity = (at: () => string, patch: Partial<IdentityRecord> = {}): IdentityRecord => ({
  phoneJid: '201012345678@s.whatsapp.net',
  lid: '123456789012345@lid',
  pushName: 'John Doe',
  businessName: null,
  platform: 'android',
  firstSeenAt: at(),
  lastSeenAt: at(),
  stale: false,
  ...patch,
});

/** Contract: instances, status history, identity, and what deleting an instance takes with it. */
export function instancesContract(store: GetStore): void {
  describe('instances', () => {
    test('create returns the record; get and list find it', async () => {
      const account = await newAccount(store());
      const other = await newAccount(store());
      const created = await store().createInstance({
        id: 'AbCdEf123456',
        accountId: account.id,
        name: 'sales',
        config: { expectedPhone: '201012345678', signature: '\n\nSent by {{pushName}}' },
        status: 'STOPPED',
        reason: 'created',
      });
      assert.deepEqual(
        { ...created, statusChangedAt: 'x', createdAt: 'x' },
        {
          id: 'AbCdEf123456',
          accountId: account.id,
          name: 'sales',
          status: 'STOPPED',
          reason: 'created',
          statusChangedAt: 'x',
          expectedPhone: '201012345678',
          signature: '\n\nSent by {{pushName}}',
          createdAt: 'x',
        },
      );
      assert.match(created.createdAt, ISO);
      assert.equal(created.statusChangedAt, created.createdAt);
      await newInstance(store(), other.id);
      assert.deepEqual(await store().getInstance(created.id), created);
      assert.equal(await store().getInstance('missing00000'), null);
      assert.deepEqual(await store().listInstances(account.id), [created]);
      await assert.rejects(newInstance(store(), account.id, { id: created.id }), 'ids are unique');
    });

    test('listInstancesByStatus spans accounts and filters by status', async () => {
      const a = await newAccount(store());
      const b = await newAccount(store());
      const working = await newInstance(store(), a.id, { status: 'WORKING' });
      const starting = await newInstance(store(), b.id, { status: 'STARTING' });
      const stopped = await newInstance(store(), b.id, { status: 'STOPPED' });
      const ids = (await store().listInstancesByStatus(['WORKING', 'STARTING'])).map((i) => i.id);
      assert.ok(ids.includes(working.id) && ids.includes(starting.id));
      assert.ok(!ids.includes(stopped.id));
      assert.deepEqual(await store().listInstancesByStatus([]), []);
    });

    test('updateInstanceConfig changes only given keys; null clears; unknown id is null', async () => {
      const account = await newAccount(store());
      const inst = await newInstance(store(), account.id, { name: 'before' });
      const renamed = await store().updateInstanceConfig(inst.id, { name: 'after' });
      assert.deepEqual(renamed, { ...inst, name: 'after' });
      const configured = await store().updateInstanceConfig(inst.id, { expectedPhone: '2010', signature: 'sig' });
      assert.deepEqual(configured, { ...inst, name: 'after', expectedPhone: '2010', signature: 'sig' });
      const cleared = await store().updateInstanceConfig(inst.id, { signature: null });
      assert.deepEqual(cleared, { ...inst, name: 'after', expectedPhone: '2010', signature: null });
      assert.deepEqual(await store().updateInstanceConfig(inst.id, {}), cleared);
      assert.equal(await store().updateInstanceConfig('missing00000', { name: 'x' }), null);
      assert.equal(await store().updateInstanceConfig('missing00000', {}), null);
    });

    test('delete removes the instance and cascades to history, identity, auth state; events stay', async () => {
      const account = await newAccount(store());
      const inst = await newInstance(store(), account.id);
      const at = timeline();
      await store().recordStatus(inst.id, { status: 'STARTING', reason: 'start_requested', at: at() });
      await store().saveIdentity(inst.id, identity(at));
      await store().writeAuth(inst.id, [{ type: 'creds', id: 'creds', value: Buffer.from('x') }]);
      const event = await store().appendEvent({
        id: `evt_${inst.id}`,
        accountId: account.id,
        instanceId: inst.id,
        event: 'session.status',
        payload: {},
      });

      assert.equal(await store().deleteInstance(inst.id), true);
      assert.equal(await store().deleteInstance(inst.id), false);
      assert.equal(await store().getInstance(inst.id), null);
      assert.deepEqual(await store().listInstances(account.id), []);

      // Re-create under the same id: anything left behind by a missing cascade would show up again here.
      await newInstance(store(), account.id, { id: inst.id });
      assert.equal((await store().listStatusHistory(inst.id, 10)).length, 1, 'only the new creation entry');
      assert.equal(await store().getIdentity(inst.id), null);
      assert.equal((await store().readAuth(inst.id, 'creds', ['creds'])).size, 0);
      const events = await store().listEvents({ afterSeq: event.seq - 1, accountId: account.id, limit: 10 });
      assert.deepEqual(events, [event]);
    });
  });

  describe('status', () => {
    test('creation is the first history entry; recordStatus updates the record and appends, newest first', async () => {
      const account = await newAccount(store());
      const inst = await newInstance(store(), account.id);
      const at = timeline();
      const changes = [
        { status: 'STARTING' as const, reason: 'start_requested', at: at() },
        { status: 'SCAN_QR_CODE' as const, reason: 'qr_ready', at: at() },
        { status: 'WORKING' as const, reason: 'connected', at: at() },
      ];
      for (const change of changes) await store().recordStatus(inst.id, change);

      const record = await store().getInstance(inst.id);
      assert.equal(record?.status, 'WORKING');
      assert.equal(record?.reason, 'connected');
      assert.equal(record?.statusChangedAt, changes[2]!.at);
      const history = await store().listStatusHistory(inst.id, 10);
      assert.deepEqual(history.slice(0, 3), [...changes].reverse());
      assert.deepEqual(history[3], { status: 'STOPPED', reason: 'created', at: inst.createdAt });
      assert.deepEqual(await store().listStatusHistory(inst.id, 2), [changes[2], changes[1]]);
    });

    test('changes within the same instant keep their order', async () => {
      const account = await newAccount(store());
      const inst = await newInstance(store(), account.id);
      const same = '2026-02-02T00:00:00.000Z';
      await store().recordStatus(inst.id, { status: 'STARTING', reason: 'connection_lost', at: same });
      await store().recordStatus(inst.id, { status: 'WORKING', reason: 'connected', at: same });
      const [latest, previous] = await store().listStatusHistory(inst.id, 2);
      assert.equal(latest?.reason, 'connected');
      assert.equal(previous?.reason, 'connection_lost');
    });

    test('recordStatus on a deleted instance does nothing', async () => {
      await store().recordStatus('gone00000000', { status: 'STOPPED', reason: 'stop_requested', at: timeline()() });
      assert.deepEqual(await store().listStatusHistory('gone00000000', 5), []);
    });
  });

  describe('identity', () => {
    test('save, read back, update, clear', async () => {
      const account = await newAccount(store());
      const inst = await newInstance(store(), account.id);
      const at = timeline();
      assert.equal(await store().getIdentity(inst.id), null);
      const first = identity(at);
      await store().saveIdentity(inst.id, first);
      assert.deepEqual(await store().getIdentity(inst.id), first);
      const second = identity(at, { pushName: null, businessName: 'Acme', platform: 'smba', lid: null, stale: true });
      await store().saveIdentity(inst.id, second);
      assert.deepEqual(await store().getIdentity(inst.id), second);
      await store().clearIdentity(inst.id);
      assert.equal(await store().getIdentity(inst.id), null);
      await store().clearIdentity(inst.id); // clearing nothing is fine
    });
  });
}

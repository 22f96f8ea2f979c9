import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createPostgresStore } from '../../src/store/postgres/index.ts';
import { MIGRATIONS } from '../../src/store/sql/migrations.ts';
import { QuotaReachedError, type EventRecord, type Store } from '../../src/store/index.ts';
import { storeContract } from './contract.ts';
import { PG_URL, dropSchema, pgQuery, randomSchema } from './pg.ts';

// Every schema this file creates, dropped at the end even when a test fails.
const schemas: string[] = [];
const schemaForRun = (): string => {
  const schema = randomSchema();
  schemas.push(schema);
  return schema;
};
after(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

storeContract('postgres', async () => {
  const store = createPostgresStore({ url: PG_URL, schema: schemaForRun() });
  await store.migrate();
  return { store, cleanup: () => store.close() };
});

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Several stores on one schema, as several nodes on one database. */
function nodes(count: number, schema: string): Store[] {
  return Array.from({ length: count }, () => createPostgresStore({ url: PG_URL, schema, maxConnections: 4 }));
}

describe('PostgreSQL specifics', () => {
  test('nodes booting at once migrate once, in their own schema', async () => {
    const schema = schemaForRun();
    const stores = nodes(4, schema);
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      const versions = await pgQuery<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations`);
      assert.deepEqual(
        versions.map((v) => v.version),
        MIGRATIONS.map((m) => m.version),
      );
      const tables = await pgQuery<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      );
      assert.deepEqual(
        tables.map((t) => t.table_name),
        [
          'accounts',
          'auth_state',
          'cluster_nodes',
          'events',
          'identities',
          'instance_leases',
          'instances',
          'outbound_messages',
          'schema_migrations',
          'settings',
          'status_history',
          'tokens',
          'webhook_deliveries',
          'webhook_lanes',
          'webhook_subscriptions',
        ],
      );
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  test('quota holds across nodes: 6 creates over 3 stores against max 3', async () => {
    const schema = schemaForRun();
    const stores = nodes(3, schema);
    try {
      await stores[0]!.migrate();
      const account = await stores[0]!.createAccount({ name: 'shared', maxInstances: 3 });
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          stores[i % 3]!.createInstance({
            id: `node${i}instanc`,
            accountId: account.id,
            name: `n${i}`,
            config: { expectedPhone: null, signature: null },
            status: 'STOPPED',
            reason: 'created',
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof QuotaReachedError);
      assert.equal((await stores[1]!.listInstances(account.id)).length, 3);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  test('an event appended later never becomes visible before an earlier open one', async () => {
    const schema = schemaForRun();
    const [a, b] = nodes(2, schema);
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let slow: Promise<EventRecord> | undefined;
    try {
      await a!.migrate();
      const account = await a!.createAccount({ name: 'outbox', maxInstances: 1 });
      const ev = (id: string) => ({ id, accountId: account.id, instanceId: 'x', event: 'message', payload: {} });
      const order: string[] = [];
      let appended!: () => void;
      const slowAppended = new Promise<void>((resolve) => (appended = resolve));
      slow = a!.tx(async (tx) => {
        const e = await tx.appendEvent(ev('slow'));
        appended();
        await gate; // still uncommitted while b appends
        order.push('slow committed');
        return e;
      });
      await slowAppended;
      const fast = b!.appendEvent(ev('fast')).then((e) => {
        order.push('fast committed');
        return e;
      });
      await delay(100);
      assert.deepEqual(order, [], 'the later append waits for the open transaction');
      release();
      const [slowEvent, fastEvent] = await Promise.all([slow, fast]);
      assert.deepEqual(order, ['slow committed', 'fast committed']);
      assert.ok(fastEvent.seq > slowEvent.seq);
    } finally {
      release(); // a failed assertion must not leave the transaction (and close()) waiting forever
      await slow?.catch(() => undefined);
      await Promise.all([a!.close(), b!.close()]);
    }
  });

  test('a schema name that is not a plain identifier is refused', () => {
    assert.throws(
      () => createPostgresStore({ url: PG_URL, schema: 'x"; DROP TABLE y; --' }),
      /invalid PostgreSQL schema/,
    );
  });
});

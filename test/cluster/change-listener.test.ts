import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClusterNotice } from '../../src/store/cluster-types.ts';
import { PgChangeListener, createPostgresStore, parseNotice } from '../../src/store/postgres/index.ts';
import { PG_URL, dropSchema, pgQuery, randomSchema } from '../store/pg.ts';
import { clusterFixture, eventually, type ClusterFixture } from './helpers.ts';

/**
 * LISTEN/NOTIFY across nodes (docs/multi-node.md "Change feed"): what one node (or anyone writing SQL) commits reaches the
 * other node's listener, only once committed, and a listener that lost its connection says so until it listens again.
 */

let f: ClusterFixture;
let listener: PgChangeListener;
const heard: ClusterNotice[] = [];
before(async () => {
  f = await clusterFixture();
  listener = new PgChangeListener({ url: PG_URL, schema: f.schema, retryMs: 20, pingMs: 200 });
  listener.subscribe((n) => heard.push(n));
  await listener.start();
});
after(async () => {
  await listener.close();
  await f.close();
});

/** Waits for a notice like `want` heard after `from` (an index into `heard`). */
const hear = (want: ClusterNotice, from: number) =>
  eventually(
    () => (heard.slice(from).some((n) => JSON.stringify(n) === JSON.stringify(want)) ? true : undefined),
    JSON.stringify(want),
  );

describe('change listener', () => {
  test('payloads: known kinds parse, anything else is ignored', () => {
    assert.deepEqual(parseNotice('tokens'), { kind: 'tokens' });
    assert.deepEqual(parseNotice('instance:abc:d'), { kind: 'instance', id: 'abc:d' });
    assert.equal(parseNotice('future:x'), null);
    assert.equal(parseNotice(':x'), null);
    assert.equal(parseNotice(undefined), null);
  });

  test("another node's writes reach this one: revoke, instance, identity, events, lease", async () => {
    const [id] = await f.instances(1, 'STOPPED');
    const other = f.node();
    const token = await f.store.createToken(f.accountId, 'a'.repeat(64));

    let from = heard.length;
    await f.store.revokeToken(token.id);
    await hear({ kind: 'tokens' }, from);

    from = heard.length;
    await f.store.recordStatus(id!, { status: 'STARTING', reason: 'start_requested', at: new Date().toISOString() });
    await hear({ kind: 'instance', id: id! }, from);

    from = heard.length;
    const now = new Date().toISOString();
    await f.store.saveIdentity(id!, {
      phoneJid: '201000000001@s.whatsapp.net',
      lid: null,
      pushName: 'x',
      businessName: null,
      platform: 'android',
      firstSeenAt: now,
      lastSeenAt: now,
      stale: false,
    });
    await hear({ kind: 'identity', id: id! }, from);

    from = heard.length;
    await f.store.appendEvent({
      id: `ev_${id}`,
      accountId: f.accountId,
      instanceId: id!,
      event: 'session.status',
      payload: {},
    });
    await hear({ kind: 'events' }, from);

    from = heard.length;
    await other.acquire('n-other', [id!], 60_000);
    await hear({ kind: 'lease', id: id! }, from);

    from = heard.length;
    await f.store.deleteInstance(id!);
    await hear({ kind: 'instance', id: id! }, from);
  });

  test('renewals are silent; a rolled-back write is never announced', async () => {
    const [id] = await f.instances(1, 'WORKING');
    const other = f.node();
    await other.acquire('quiet', [id!], 60_000);
    await hear({ kind: 'lease', id: id! }, 0);
    const from = heard.length;
    await other.heartbeat({ id: 'quiet', address: null }, 60_000);
    await f.store
      .tx(async (tx) => {
        await tx.recordStatus(id!, { status: 'STOPPED', reason: 'stop_requested', at: new Date().toISOString() });
        throw new Error('roll back');
      })
      .catch(() => undefined);
    // A marker written after both: once it is heard, anything they announced would have been heard before it.
    await f.store.updateInstanceConfig(id!, { name: 'marker' });
    await hear({ kind: 'instance', id: id! }, from);
    assert.deepEqual(heard.slice(from), [{ kind: 'instance', id: id! }]);
  });

  test('a lost connection turns the version off until listening again, with a new version', async () => {
    const before = listener.version();
    assert.equal(typeof before, 'number');
    const states: boolean[] = [];
    const versions: Array<number | null> = [];
    const off = listener.onState((s) => {
      states.push(s);
      versions.push(listener.version());
    });
    try {
      await pgQuery('SELECT pg_terminate_backend($1)', [listener.backendPid]);
      await eventually(() => (states.includes(false) ? true : undefined), 'loss noticed');
      await eventually(() => (listener.listening ? true : undefined), 'listening again');
      assert.deepEqual(states, [false, true]);
      assert.equal(versions[0], null, 'no caching while deaf');
      assert.notEqual(versions[1], before, 'caches must drop what they held');
      const from = heard.length;
      await f.store.revokeToken((await f.store.createToken(f.accountId, 'b'.repeat(64))).id);
      await hear({ kind: 'tokens' }, from);
    } finally {
      off();
    }
  });

  test('a listener started before its schema exists (first boot: migrate() creates it) still hears it', async () => {
    const schema = randomSchema();
    const early = new PgChangeListener({ url: PG_URL, schema, retryMs: 20 });
    const notices: ClusterNotice[] = [];
    early.subscribe((n) => notices.push(n));
    const store = createPostgresStore({ url: PG_URL, schema, maxConnections: 2 });
    try {
      await early.start();
      await store.migrate();
      const account = await store.createAccount({ name: 'early', maxInstances: 1 });
      const token = await store.createToken(account.id, 'c'.repeat(64));
      await store.revokeToken(token.id);
      await eventually(() => (notices.some((n) => n.kind === 'tokens') ? true : undefined), 'tokens notice');
    } finally {
      await early.close();
      await store.close();
      await dropSchema(schema);
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPostgresStore } from '../../src/store/postgres/index.ts';
import type { Store, StoreChange } from '../../src/store/index.ts';
import { SharedIdentityCache, type MeEntry } from '../../src/identity/index.ts';
import { JOHN_DOE } from '../fixtures/identity.ts';
import { eventually } from '../cluster/helpers.ts';
import { PG_URL, dropSchema, listenerPids, pgQuery, randomSchema, terminate } from '../store/pg.ts';

/**
 * The /me identity cache for instances WORKING on another node (docs/multi-node.md "Change feed"): node A caches the
 * stored identity while its change listener hears the database; node B (another pool on the same schema, as another
 * process would have) changes the identity, and A serves the new one once the `identity:<id>` notice arrived. With the
 * listener cut, A caches nothing and reads the store on every lookup.
 */

const schema = randomSchema();
let a: Store;
let b: Store;
let cache: SharedIdentityCache;
let reads = 0;
const heard: StoreChange[] = [];
let instanceId = '';

before(async () => {
  b = createPostgresStore({ url: PG_URL, schema, maxConnections: 3 });
  await b.migrate();
  a = createPostgresStore({ url: PG_URL, schema, maxConnections: 3 });
  const get = a.getIdentity.bind(a);
  Object.assign(a, { getIdentity: (id: string) => (reads++, get(id)) });
  a.changes!.subscribe((c) => heard.push(c));
  cache = new SharedIdentityCache(a);
  const account = await b.createAccount({ name: 'me', maxInstances: 5 });
  instanceId = (
    await b.createInstance({
      id: 'sharedme0001',
      accountId: account.id,
      name: 'x',
      config: { expectedPhone: null, signature: null },
      status: 'WORKING',
      reason: 'connected',
    })
  ).id;
  await b.saveIdentity(instanceId, JOHN_DOE);
  await eventually(() => (a.changes!.externalVersion() !== null ? true : undefined), "A's listener");
});
after(async () => {
  cache.close();
  await Promise.all([a.close(), b.close()]);
  await dropSchema(schema);
});

const heardOnA = (want: StoreChange, from: number) =>
  eventually(
    () => (heard.slice(from).some((c) => JSON.stringify(c) === JSON.stringify(want)) ? true : undefined),
    'notice on A',
  );

/**
 * Looks up until an answer comes from memory, synchronously and without a store read (a fill is skipped when a notice
 * arrives during its read, e.g. the notice of the write just before).
 */
function warm(): Promise<MeEntry> {
  return eventually(async () => {
    assert.ok(await cache.lookup(instanceId));
    const before = reads;
    const again = cache.lookup(instanceId);
    if (!again || again instanceof Promise) return undefined;
    assert.equal(reads, before, 'a synchronous answer read nothing');
    return again;
  }, 'a cached answer');
}

describe('/me identity cache on PostgreSQL, across nodes', () => {
  test("an identity renamed through node B is served by node A's cache once the notice arrived", async () => {
    assert.equal((await warm()).body.pushName, 'John Doe');
    const from = heard.length;
    await b.saveIdentity(instanceId, { ...JOHN_DOE, pushName: 'Johnny', lastSeenAt: '2026-11-26T11:00:00.000Z' });
    await heardOnA({ kind: 'identity', id: instanceId }, from);
    const renamed = await warm();
    assert.equal(renamed.body.pushName, 'Johnny');
    assert.equal(JSON.parse(renamed.json).pushName, 'Johnny');
  });

  test('a hand-written UPDATE of the identity row reaches it the same way', async () => {
    await warm();
    const from = heard.length;
    await pgQuery(`UPDATE "${schema}".identities SET push_name = 'By SQL' WHERE instance_id = $1`, [instanceId]);
    await heardOnA({ kind: 'identity', id: instanceId }, from);
    assert.equal((await warm()).body.pushName, 'By SQL');
  });

  test('an identity deleted on node B is not served any more', async () => {
    await b.saveIdentity(instanceId, JOHN_DOE);
    await warm();
    const from = heard.length;
    await pgQuery(`DELETE FROM "${schema}".identities WHERE instance_id = $1`, [instanceId]);
    await heardOnA({ kind: 'identity', id: instanceId }, from);
    assert.equal(await cache.lookup(instanceId), null);
    await b.saveIdentity(instanceId, JOHN_DOE);
  });

  test('listener cut: nothing cached, no stale answer; back with a new version, caching resumes', async () => {
    await warm();
    const version = a.changes!.externalVersion();
    const pids = await listenerPids(schema);
    assert.ok(pids.length > 0);
    await terminate(pids);
    await eventually(() => (a.changes!.externalVersion() === null ? true : undefined), 'listener down');
    // A rename while A hears nothing: no notice will ever come for it, yet A must not serve the old name.
    await b.saveIdentity(instanceId, { ...JOHN_DOE, pushName: 'Unheard' });
    const before = reads;
    assert.equal((await cache.lookup(instanceId))?.body.pushName, 'Unheard');
    assert.equal((await cache.lookup(instanceId))?.body.pushName, 'Unheard');
    assert.equal(reads, before + 2, 'every lookup read the store');
    await eventually(() => (a.changes!.externalVersion() !== null ? true : undefined), 'listener back');
    assert.notEqual(a.changes!.externalVersion(), version);
    // John Doe is still in the map from before the cut; the new version must drop it unseen.
    assert.equal((await warm()).body.pushName, 'Unheard');
  });
});

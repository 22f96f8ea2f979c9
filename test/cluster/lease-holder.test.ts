import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type ClusterFixture, clusterFixture } from './helpers.ts';

/**
 * What forwarding and the lists read of a lease (docs/multi-node.md "Forwarding", "Status while the owner is lost"),
 * against the real PostgreSQL: the holder with its address and heartbeat age, and which holders count as lost.
 */

let f: ClusterFixture;
before(async () => {
  f = await clusterFixture();
});
after(() => f.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('leaseHolder: the holder, its address, live or not, and the age of its heartbeat', async () => {
  const [id, never] = await f.instances(2, 'WORKING');
  const store = f.node();
  await store.register({ id: 'holder-a', address: 'http://10.0.0.1:3000' }, 60_000);
  assert.equal(await store.leaseHolder(never!), null, 'never held');
  const [token] = await store.acquire('holder-a', [id!], 60_000);
  const held = await store.leaseHolder(id!);
  assert.deepEqual(
    { ...held, heartbeatAgeMs: 0 },
    {
      nodeId: 'holder-a',
      address: 'http://10.0.0.1:3000',
      live: true,
      heartbeatAgeMs: 0,
    },
  );
  assert.ok(held!.heartbeatAgeMs >= 0 && held!.heartbeatAgeMs < 60_000);
  await store.release([token!]);
  assert.equal(await store.leaseHolder(id!), null, 'released: nobody holds it');
});

test('lostHolders: lease expired unclaimed, or heartbeat older than the deadline; not a fresh holder', async () => {
  const [fresh, expiring, free] = await f.instances(3, 'WORKING');
  const store = f.node();
  await store.register({ id: 'holder-b', address: null }, 60_000);
  await store.acquire('holder-b', [fresh!], 60_000);
  await store.acquire('holder-b', [expiring!], 50);
  const all = [fresh!, expiring!, free!];
  await sleep(120);
  assert.deepEqual(await store.lostHolders(all, 60_000), [expiring!], 'the expired lease only');
  assert.deepEqual((await store.lostHolders(all, 50)).sort(), [fresh!, expiring!].sort(), 'heartbeat older than 50 ms');
  await store.heartbeat({ id: 'holder-b', address: null }, 60_000);
  assert.deepEqual(await store.lostHolders([fresh!], 50), [], 'a renewal makes it fresh again');
  assert.deepEqual(await store.lostHolders([], 0), []);
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { shareOf } from '../../src/cluster/index.ts';
import { LeaseLostError, type LeaseToken } from '../../src/store/cluster-types.ts';
import { PostgresDriver } from '../../src/store/postgres/postgres-driver.ts';
import { assertLease } from '../../src/store/postgres/index.ts';
import { PG_URL } from '../store/pg.ts';
import { clusterFixture, eventually, type ClusterFixture } from './helpers.ts';

/**
 * The lease store against the real PostgreSQL, several "nodes" being separate pools on one schema
 * (docs/multi-node.md "Leases" and "Fencing").
 */

const TTL = 60_000;
const SHORT_TTL = 300;
const node = (id: string) => ({ id, address: `http://${id}.internal` });

let f: ClusterFixture;
before(async () => {
  f = await clusterFixture();
});
after(() => f.close());

describe('leases', () => {
  test('three nodes contending for the same instances: each has exactly one owner, fence 1', async () => {
    const ids = await f.instances(20, 'WORKING');
    const stores = [f.node(), f.node(), f.node()];
    await Promise.all(stores.map((s, i) => s.register(node(`contend${i}`), TTL)));
    const results = await Promise.all(stores.flatMap((s, i) => [1, 2].map(() => s.acquire(`contend${i}`, ids, TTL))));
    const taken = results.flat();
    assert.deepEqual(taken.map((t) => t.instanceId).sort(), [...ids].sort(), 'every instance taken once, none twice');
    for (const t of taken) {
      assert.equal(t.fence, 1);
      assert.equal(t.takenFrom, null);
      const lease = await stores[0]!.getLease(t.instanceId);
      assert.equal(lease?.nodeId, t.nodeId);
      assert.equal(lease?.live, true);
    }
  });

  test('a live lease is never taken, not even by its own node twice', async () => {
    const [id] = await f.instances(1, 'WORKING');
    const a = f.node();
    const b = f.node();
    assert.equal((await a.acquire('live-a', [id!], TTL)).length, 1);
    assert.deepEqual(await b.acquire('live-b', [id!], TTL), []);
    assert.deepEqual(await a.acquire('live-a', [id!], TTL), []);
    assert.equal((await b.getLease(id!))?.nodeId, 'live-a');
  });

  test('after expiry another node takes over with a higher fence and learns who held it', async () => {
    const [id] = await f.instances(1, 'WORKING');
    const a = f.node();
    const b = f.node();
    const [first] = await a.acquire('exp-a', [id!], SHORT_TTL);
    const second = await eventually(async () => (await b.acquire('exp-b', [id!], TTL))[0], 'takeover');
    assert.equal(second.fence, first!.fence + 1);
    assert.equal(second.takenFrom, 'exp-a');
    const third = await b.acquire('exp-b', [id!], TTL);
    assert.deepEqual(third, [], 'the new owner holds it live');
  });

  test('release hands an instance over at once; the fence keeps growing across owners', async () => {
    const [id] = await f.instances(1, 'WORKING');
    const a = f.node();
    const b = f.node();
    const [t1] = await a.acquire('rel-a', [id!], TTL);
    assert.equal(await b.release([{ ...t1!, nodeId: 'rel-b' }]), 0, 'only the holder can release');
    assert.equal(await a.release([{ ...t1!, fence: t1!.fence + 5 }]), 0, 'a wrong fence releases nothing');
    assert.equal(await a.release([t1!]), 1);
    const [t2] = await b.acquire('rel-b', [id!], TTL);
    assert.equal(t2!.fence, t1!.fence + 1);
    assert.equal(t2!.takenFrom, null, 'a released lease was not taken from anyone');
    await b.release([t2!]);
    const [t3] = await a.acquire('rel-a', [id!], TTL);
    assert.equal(t3!.fence, t2!.fence + 1);
  });

  test('a stale owner cannot write: its fenced transaction is refused and changes nothing', async () => {
    const [id] = await f.instances(1, 'WORKING');
    const a = f.node();
    const b = f.node();
    const [stale] = await a.acquire('fence-a', [id!], SHORT_TTL);
    const current = await eventually(async () => (await b.acquire('fence-b', [id!], TTL))[0], 'takeover');
    // The guard runs in the same transaction as the write (Store.tx with a lease), as the nodes write.
    const fencedStatus = (lease: LeaseToken, status: 'STARTING' | 'STOPPED') =>
      f.store.tx((tx) => tx.recordStatus(id!, { status, reason: 'test', at: new Date().toISOString() }), { lease });
    await assert.rejects(fencedStatus(stale!, 'STOPPED'), LeaseLostError);
    assert.equal((await f.store.getInstance(id!))?.status, 'WORKING', 'the refused write left nothing behind');
    await fencedStatus(current, 'STARTING');
    assert.equal((await f.store.getInstance(id!))?.status, 'STARTING');
    // The same node with an old fence is as stale as another node.
    await assert.rejects(fencedStatus({ ...current, fence: current.fence - 1 }, 'STOPPED'), LeaseLostError);
  });

  test('a fenced transaction in flight holds the lease: a takeover waits for its commit', async () => {
    const [id] = await f.instances(1, 'WORKING');
    const a = f.node();
    const [token] = await a.acquire('hold-a', [id!], 1_000);
    const b = f.node({ timeoutMs: 10_000 }); // its takeover will wait on the lock
    const driver = new PostgresDriver({ url: PG_URL, schema: f.schema, maxConnections: 2 });
    const order: string[] = [];
    try {
      let guarded!: () => void;
      const isGuarded = new Promise<void>((resolve) => (guarded = resolve));
      const write = driver.transaction(async (conn) => {
        await assertLease(conn, token!);
        guarded();
        await new Promise((resolve) => setTimeout(resolve, 1_500)); // past the lease's expiry, still uncommitted
        order.push('old owner committed');
      });
      await isGuarded;
      const takeover = eventually(async () => (await b.acquire('hold-b', [id!], TTL))[0], 'takeover').then((t) => {
        order.push('takeover');
        return t;
      });
      await Promise.all([write, takeover]);
      assert.deepEqual(order, ['old owner committed', 'takeover']);
    } finally {
      await driver.close();
    }
  });

  test('heartbeat renews every lease of the node in one statement, and never an expired one', async () => {
    const ids = await f.instances(50, 'WORKING');
    const [late] = await f.instances(1, 'WORKING');
    const a = f.node();
    await a.register(node('batch-a'), TTL);
    await a.acquire('batch-a', ids, TTL);
    await a.acquire('batch-a', [late!], 1);
    const before = new Map(await Promise.all(ids.map(async (id) => [id, (await a.getLease(id))!.expiresAt] as const)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const renewed = await a.heartbeat(node('batch-a'), TTL);
    assert.deepEqual(renewed.map((t) => t.instanceId).sort(), [...ids].sort(), 'all 50, and not the expired one');
    for (const id of ids) assert.ok((await a.getLease(id))!.expiresAt > before.get(id)!, `${id} renewed`);
    assert.equal((await a.getLease(late!))?.live, false);
  });

  test('a restarted node under the same id gives up what its previous run held', async () => {
    const [id] = await f.instances(1, 'WORKING');
    const a = f.node();
    await a.register(node('again'), TTL);
    await a.acquire('again', [id!], TTL);
    await a.register(node('again'), TTL);
    const lease = await a.getLease(id!);
    assert.equal(lease?.nodeId, null);
    assert.equal(lease?.live, false);
  });

  test('nodes and their loads; a graceful leave releases everything at once', async () => {
    const ids = await f.instances(3, 'WORKING');
    const a = f.node();
    await a.register(node('view-a'), TTL);
    await a.acquire('view-a', ids, TTL);
    let view = (await a.listNodes()).find((n) => n.id === 'view-a');
    assert.equal(view?.live, true);
    assert.equal(view?.instances, 3);
    assert.equal(view?.address, 'http://view-a.internal');
    assert.equal(await a.leave('view-a'), 3);
    view = (await a.listNodes()).find((n) => n.id === 'view-a');
    assert.equal(view?.live, false);
    assert.notEqual(view?.leftAt, null);
    assert.equal(view?.instances, 0);
  });
});

describe('placement', () => {
  test('water filling gives the free instances to the least-loaded nodes', () => {
    const view = (claimable: number) => ({
      nodes: [
        { id: 'a', instances: 10 },
        { id: 'b', instances: 0 },
        { id: 'c', instances: 4 },
      ],
      claimable,
    });
    assert.deepEqual(
      ['a', 'b', 'c'].map((n) => shareOf(n, view(3))),
      [0, 3, 0],
    );
    assert.deepEqual(
      ['a', 'b', 'c'].map((n) => shareOf(n, view(12))),
      [0, 8, 4],
    );
    assert.deepEqual(
      ['a', 'b', 'c'].map((n) => shareOf(n, view(20))),
      [2, 11, 7],
      'ties go to the lower id',
    );
    assert.equal(shareOf('z', view(12)), 0, 'a node that is not live takes nothing');
  });

  test('claims: nodes booted together split the running instances evenly; a joining node steals nothing', async () => {
    const g = await clusterFixture();
    try {
      const running = await g.instances(30, 'WORKING');
      await g.instances(5, 'STOPPED');
      const stores = [g.node(), g.node(), g.node()];
      const ids = ['p1', 'p2', 'p3'];
      await Promise.all(stores.map((s, i) => s.register(node(ids[i]!), TTL)));
      const claim = (i: number) =>
        stores[i]!.claim(ids[i]!, ['WORKING', 'STARTING', 'SCAN_QR_CODE'], TTL, (v) => shareOf(ids[i]!, v));
      const taken = await Promise.all([0, 1, 2].map(claim));
      assert.deepEqual(
        taken.map((t) => t.length),
        [10, 10, 10],
      );
      assert.deepEqual(
        taken
          .flat()
          .map((t) => t.instanceId)
          .sort(),
        [...running].sort(),
        'no STOPPED one, none twice',
      );

      const late = g.node();
      await late.register(node('p4'), TTL);
      assert.deepEqual(
        await late.claim('p4', ['WORKING'], TTL, (v) => shareOf('p4', v)),
        [],
        'a joining node takes only what nobody holds',
      );

      // p1 leaves: its ten go to the least loaded, the empty p4, which evens the loads.
      await stores[0]!.leave('p1');
      const after = await Promise.all(
        [
          [late, 'p4'],
          [stores[1]!, 'p2'],
          [stores[2]!, 'p3'],
        ].map(([s, id]) => (s as typeof late).claim(id as string, ['WORKING'], TTL, (v) => shareOf(id as string, v))),
      );
      const loads = Object.fromEntries((await late.listNodes()).filter((n) => n.live).map((n) => [n.id, n.instances]));
      assert.deepEqual(loads, { p2: 10, p3: 10, p4: 10 });
      assert.equal(after.flat().length, 10);
    } finally {
      await g.close();
    }
  });
});

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { ClusterNode, clusterMember, clusterOptions, type AcquiredLease } from '../../src/cluster/index.ts';
import { PG_URL } from '../store/pg.ts';
import { pgQuery } from '../store/pg.ts';
import { PgRelay, FAST, clusterFixture, eventually, type ClusterFixture } from './helpers.ts';

/**
 * ClusterNode's loops against the real PostgreSQL: renewal keeps leases, a crashed node's instances move, a node cut off
 * from the database gives its leases up while the database still counts them as its own (docs/multi-node.md).
 * Timings are shortened but keep the defaults' proportions; the tests wait on them, never measure them.
 */

const RUNNING = ['WORKING', 'STARTING', 'SCAN_QR_CODE'];

let f: ClusterFixture;
const started: ClusterNode[] = [];
before(async () => {
  f = await clusterFixture();
});
// Each test's nodes stop with it, so a claiming node cannot take the next test's instances.
afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.halt()));
});
after(() => f.close());

function makeNode(id: string, opts: { url?: string; claim?: boolean } = {}) {
  const node = new ClusterNode({
    store: f.node({ url: opts.url }),
    node: { id, address: null },
    options: FAST,
    claimStatuses: opts.claim === false ? undefined : RUNNING,
  });
  const acquired: AcquiredLease[] = [];
  const lost: Array<{ ids: string[]; why: string }> = [];
  node.onAcquired((leases) => acquired.push(...leases));
  node.onLost((ids, why) => lost.push({ ids, why }));
  started.push(node);
  return { node, acquired, lost };
}

describe('cluster options', () => {
  test('defaults meet the order that makes ownership exclusive; a wrong order is refused', () => {
    const d = clusterOptions();
    assert.ok(d.renewEveryMs < d.renewDeadlineMs && d.renewDeadlineMs < d.ttlMs);
    assert.throws(() => clusterOptions({ renewDeadlineMs: 20_000 }), /renewEveryMs < renewDeadlineMs < ttlMs/);
    assert.throws(() => clusterOptions({ ttlMs: -1 }), /whole number/);
  });
});

describe('ClusterNode', () => {
  test('nodes started together share the running instances; renewal keeps them past the ttl', async () => {
    const g = await clusterFixture();
    const nodes = ['j1', 'j2', 'j3'].map(
      (id) => new ClusterNode({ store: g.node(), node: { id, address: null }, options: FAST, claimStatuses: RUNNING }),
    );
    try {
      await g.instances(12, 'WORKING');
      await g.instances(3, 'STOPPED');
      await Promise.all(nodes.map((n) => n.start()));
      await eventually(() => (nodes.every((n) => n.heldIds().length === 4) ? true : undefined), 'an even split');
      const fences = nodes.map((n) => n.heldIds().map((id) => n.token(id)!.fence));
      await new Promise((resolve) => setTimeout(resolve, FAST.ttlMs! + 500));
      assert.deepEqual(
        nodes.map((n) => n.heldIds().length),
        [4, 4, 4],
        'still held after a whole ttl: renewed, not re-acquired',
      );
      assert.deepEqual(
        nodes.map((n) => n.heldIds().map((id) => n.token(id)!.fence)),
        fences,
      );
    } finally {
      await Promise.all(nodes.map((n) => n.halt()));
      await g.close();
    }
  });

  test('a crashed node: its instances are taken over after expiry, with a higher fence, from it', async () => {
    const ids = await f.instances(6, 'WORKING');
    const a = makeNode('crash-a', { claim: false });
    await a.node.start();
    const mine = await a.node.acquire(ids);
    assert.equal(mine.length, 6);
    const b = makeNode('crash-b');
    await b.node.start();
    await new Promise((resolve) => setTimeout(resolve, FAST.joinDelayMs! + 3 * FAST.scanEveryMs!));
    assert.equal(b.acquired.filter((l) => ids.includes(l.instanceId)).length, 0, 'no steal while a renews');
    await a.node.halt(); // kill -9 as the others see it: no more renewals, nothing released
    await eventually(
      () => (b.acquired.filter((l) => ids.includes(l.instanceId)).length === 6 ? true : undefined),
      'failover',
    );
    for (const lease of b.acquired.filter((l) => ids.includes(l.instanceId))) {
      assert.equal(lease.takenFrom, 'crash-a');
      assert.equal(lease.fence, 2);
    }
  });

  test('a graceful leave hands the instances over at once', async () => {
    const ids = await f.instances(3, 'STARTING');
    const a = makeNode('leave-a', { claim: false });
    await a.node.start();
    await a.node.acquire(ids);
    const b = makeNode('leave-b', { claim: false });
    await b.node.start();
    assert.deepEqual(await b.node.acquire(ids), []);
    await a.node.leave();
    const taken = await b.node.acquire(ids);
    assert.equal(taken.length, 3, 'no waiting for the ttl');
    assert.ok(taken.every((l) => l.takenFrom === null));
    assert.equal(a.lost.length, 0, 'leaving is not losing');
  });

  test('a lease that changed hands is reported lost at the next renewal', async () => {
    const [id] = await f.instances(1, 'WORKING');
    const a = makeNode('moved-a', { claim: false });
    await a.node.start();
    await a.node.acquire([id!]);
    // An operator expires it by hand and another node takes it.
    await pgQuery(`UPDATE "${f.schema}".instance_leases SET expires_at = clock_timestamp() WHERE instance_id = $1`, [
      id,
    ]);
    const b = makeNode('moved-b', { claim: false });
    await b.node.start();
    assert.equal((await b.node.acquire([id!])).length, 1);
    const report = await eventually(() => a.lost[0], 'loss report');
    assert.deepEqual(report, { ids: [id], why: 'not_renewed' });
    assert.equal(a.node.token(id!), null);
  });

  test('cut off from the database: loss is reported while the database still counts the leases, then they move', async () => {
    const ids = await f.instances(4, 'WORKING');
    const hole = await PgRelay.open();
    try {
      const a = makeNode('cut-a', { url: hole.url, claim: false });
      await a.node.start();
      await a.node.acquire(ids);
      const b = makeNode('cut-b');
      await b.node.start();
      hole.cut();
      const report = await eventually(() => a.lost[0], 'loss report');
      // Checked right at the report: every lease still live in the database, so nobody could have taken one yet.
      const leases = await pgQuery<{ live: boolean }>(
        `SELECT node_id = 'cut-a' AND expires_at > clock_timestamp() AS live FROM "${f.schema}".instance_leases
          WHERE instance_id = ANY($1)`,
        [ids],
      );
      assert.deepEqual({ ...report, ids: [...report.ids].sort() }, { ids, why: 'renew_deadline' });
      assert.deepEqual(
        leases.map((l) => l.live),
        [true, true, true, true],
        'reported before expiry',
      );
      assert.deepEqual(a.node.heldIds(), []);
      assert.equal(a.node.token(ids[0]!), null);
      await eventually(
        () => (b.acquired.filter((l) => ids.includes(l.instanceId)).length === 4 ? true : undefined),
        'takeover',
      );
      assert.ok(b.acquired.filter((l) => ids.includes(l.instanceId)).every((l) => l.takenFrom === 'cut-a'));

      // Back online: a renews its heartbeat again, but holds nothing and reports nothing more.
      hole.restore();
      await eventually(async () => {
        const nodes = await pgQuery<{ id: string; fresh: boolean }>(
          `SELECT id, heartbeat_at > clock_timestamp() - interval '300 milliseconds' AS fresh FROM "${f.schema}".cluster_nodes WHERE id = 'cut-a'`,
        );
        return nodes[0]?.fresh ? true : undefined;
      }, 'a heartbeating again');
      assert.equal(a.lost.length, 1);
      assert.deepEqual(a.node.heldIds(), []);
    } finally {
      await hole.close();
    }
  });

  test('a member hears another node leave and claims its instances without waiting for its next scan', async () => {
    // Its own schema: live nodes of other tests would get a share of the water filling.
    const g = await clusterFixture();
    const ids = await g.instances(2, 'WORKING');
    const a = new ClusterNode({ store: g.node(), node: { id: 'wake-a', address: null }, options: FAST });
    await a.start();
    await a.acquire(ids);
    const member = clusterMember({
      url: PG_URL,
      schema: g.schema,
      nodeId: 'wake-b',
      options: { ...FAST, scanEveryMs: 600_000, joinDelayMs: 0 },
      claimStatuses: RUNNING,
    });
    const taken: AcquiredLease[] = [];
    member.node.onAcquired((leases) => taken.push(...leases));
    try {
      await member.start();
      await new Promise((resolve) => setTimeout(resolve, 300)); // its first scan found nothing free
      assert.equal(taken.filter((l) => ids.includes(l.instanceId)).length, 0);
      await a.leave();
      await eventually(
        () => (taken.filter((l) => ids.includes(l.instanceId)).length === 2 ? true : undefined),
        'claim on notice',
      );
      const me = (await member.nodes()).find((n) => n.id === 'wake-b');
      assert.ok(me?.live);
      assert.ok(me.instances >= 2);
    } finally {
      await member.close({ leave: true });
      await g.close();
    }
  });
});

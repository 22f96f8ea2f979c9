import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { clusterMember, type ClusterMember } from '../../src/cluster/index.ts';
import { EventBus } from '../../src/events/index.ts';
import { nodeView } from '../../src/gateway/index.ts';
import { createMetrics, type GatewayMetrics } from '../../src/metrics/index.ts';
import { createPostgresStore } from '../../src/store/postgres/index.ts';
import { PG_URL } from '../store/pg.ts';
import { FAST, clusterFixture, eventually, type ClusterFixture } from './helpers.ts';

/**
 * /metrics per node (docs/multi-node.md "Node view"): a real cluster member on the real PostgreSQL, its view as the
 * gateway builds it, scraped through the gateway's metrics registry.
 */

let g: ClusterFixture;
let member: ClusterMember;
let metrics: GatewayMetrics;

before(async () => {
  g = await clusterFixture();
  member = clusterMember({
    url: PG_URL,
    schema: g.schema,
    nodeId: 'view-a',
    options: { ...FAST, scanEveryMs: 600_000, joinDelayMs: 0 },
    claimStatuses: ['WORKING'],
  });
  await member.start();
  const node = nodeView({ cluster: member, store: g.store, configuredId: 'ignored-in-a-cluster' });
  metrics = createMetrics({ store: g.store, bus: new EventBus(), node });
});
after(async () => {
  metrics.close();
  await member.close({ leave: true });
  await g.close();
});

const sample = async (metric: string): Promise<number | null> => {
  const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`${metric} `));
  return line ? Number(line.slice(metric.length + 1)) : null;
};

test('a cluster node reports its id, the leases it holds, its renewal age and its change listener', async () => {
  const ids = await g.instances(3, 'STOPPED');
  assert.equal((await member.node.acquire(ids)).length, 3);
  assert.equal(await sample('switchboard_node_info{node="view-a"}'), 1);
  assert.equal(await sample('switchboard_node_leases_held{node="view-a"}'), 3);
  assert.equal(await sample('switchboard_node_instances_owned{node="view-a"}'), 3);
  const age = await sample('switchboard_node_lease_renewal_age_seconds{node="view-a"}');
  assert.ok(age !== null && age >= 0 && age * 1000 < FAST.renewDeadlineMs!, `renewed recently (${age} s)`);
  await eventually(
    async () => ((await sample('switchboard_node_change_listener_connected{node="view-a"}')) === 1 ? true : undefined),
    'listener connected',
  );

  await member.node.release(ids.slice(0, 2));
  assert.equal(await sample('switchboard_node_leases_held{node="view-a"}'), 1);
});

test('a store that does not hear the database reports its change listener down', async () => {
  const deaf = createPostgresStore({ url: PG_URL, schema: g.schema, maxConnections: 1, listen: false });
  const view = nodeView({ cluster: null, store: deaf, configuredId: null });
  try {
    assert.equal(view.id, 'single');
    assert.equal(view.changeListenerConnected?.(), false);
    assert.equal(view.leasesHeld, undefined, 'no leases outside a cluster');
  } finally {
    await deaf.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../harness/gateway.ts';

/** GET /metrics: admin only; instance counts by status from the store, events by name from the bus. */

const sample = (text: string, metric: string): number | null => {
  const line = text.split('\n').find((l) => l.startsWith(`${metric} `));
  return line ? Number(line.slice(metric.length + 1)) : null;
};

test('/metrics: 401 without the admin token, Prometheus text with instances by status and events by name', async (t) => {
  const g = await startGateway();
  t.after(() => g.close());

  assert.equal((await g.call('GET', '/metrics')).status, 401);
  const instance = await g.newInstance('metrics');
  const wrong = await g.call('GET', '/metrics', { headers: { authorization: `Bearer ${instance.token}` } });
  assert.equal(wrong.status, 401, 'an access token is not an admin token');

  const before = await g.call('GET', '/metrics', {
    headers: { authorization: 'Bearer e2e-admin-token-0123456789abcdef' },
  });
  assert.equal(before.status, 200);
  assert.match(before.headers.get('content-type') ?? '', /^text\/plain/);
  const text = before.raw.toString('utf8');
  assert.equal(sample(text, 'switchboard_instances{status="STOPPED"}'), 1);
  assert.equal(sample(text, 'switchboard_instances{status="WORKING"}'), 0);
  assert.ok(sample(text, 'switchboard_process_resident_memory_bytes')! > 0);
  // The node view of a single node: its id, and every running instance is its own (none yet).
  assert.equal(sample(text, 'switchboard_node_info{node="single"}'), 1);
  assert.equal(sample(text, 'switchboard_node_instances_owned{node="single"}'), 0);
  assert.equal(sample(text, 'switchboard_node_leases_held{node="single"}'), null, 'no leases without a cluster');

  await instance.call('POST', '/v2/session/start');
  await instance.waitStatus('SCAN_QR_CODE');
  const after = (await g.admin('GET', '/metrics')).raw.toString('utf8');
  assert.equal(sample(after, 'switchboard_instances{status="SCAN_QR_CODE"}'), 1);
  assert.equal(sample(after, 'switchboard_instances{status="STOPPED"}'), 0);
  assert.equal(sample(after, 'switchboard_node_instances_owned{node="single"}'), 1);
  assert.ok(
    sample(after, 'switchboard_events_total{event="session.status"}')! >= 2,
    'STARTING and SCAN_QR_CODE were published',
  );
});

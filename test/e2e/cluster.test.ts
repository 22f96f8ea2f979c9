import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { eventually } from '../cluster/helpers.ts';
import { type NodeProcess, callNode, killNode, startNode } from '../harness/cluster-nodes.ts';
import { dropSchema, pgQuery, randomSchema } from '../store/pg.ts';

/**
 * Three real gateway processes (`node bin/switchboard.mjs serve`) on one PostgreSQL schema, against a standalone
 * simulator (docs/multi-node.md). Default lease timings (ttl 10 s), so this takes a while:
 * - joining nodes steal nothing from the node that runs the instances;
 * - kill -9 of that node: its instances come back on the others, STARTING/node_lost then WORKING, without a QR;
 * - a node paused past its lease expiry (SIGSTOP) and resumed (SIGCONT) writes nothing: its replaced sockets are not
 *   recorded as STOPPED, the instances stay WORKING on their new owner.
 */

const schema = randomSchema();
let sim: Simulator;
const gateways = new Map<string, NodeProcess>();

async function startGateway(id: string): Promise<NodeProcess> {
  const g = await startNode(id, schema, sim);
  gateways.set(id, g);
  return g;
}

const call = (g: NodeProcess, method: string, path: string, opts: { body?: unknown; token?: string } = {}) =>
  callNode(g, method, path, opts);

/** Status history of an instance from the database, oldest first, as "STATUS/reason". */
async function history(id: string): Promise<string[]> {
  const rows = await pgQuery<{ status: string; reason: string }>(
    `SELECT status, reason FROM "${schema}".status_history WHERE instance_id = $1 ORDER BY id`,
    [id],
  );
  return rows.map((r) => `${r.status}/${r.reason}`);
}

async function owners(): Promise<Record<string, string>> {
  const rows = await pgQuery<{ instance_id: string; node_id: string }>(
    `SELECT instance_id, node_id FROM "${schema}".instance_leases WHERE node_id IS NOT NULL AND expires_at > clock_timestamp()`,
  );
  return Object.fromEntries(rows.map((r) => [r.instance_id, r.node_id]));
}

before(async () => {
  sim = await startSimulator({ port: 0 });
  await pgQuery(`CREATE SCHEMA "${schema}"`);
});
after(async () => {
  for (const g of gateways.values()) await killNode(g);
  await sim.stop();
  await dropSchema(schema);
});

test('three gateway processes: no steals on join, kill -9 failover without QR, a paused node writes nothing', async () => {
  const a = await startGateway('node-a');
  const account = await call(a, 'POST', '/admin/accounts', { body: { name: 'cluster', max_instances: 10 } });
  assert.equal(account.status, 201, JSON.stringify(account.body));
  const token = account.body.access_token as string;
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const created = await call(a, 'POST', '/v2/session/create', { token, body: { name: `c${i}` } });
    const id = created.body.instance_id as string;
    ids.push(id);
    const started = await call(a, 'POST', `/v2/session/start?instance_id=${id}`, { token });
    assert.equal(started.status, 200, `${started.text}\n${a.log().slice(-3000)}`);
    const qr = await eventually(
      async () => {
        const r = await call(a, 'GET', `/v2/auth/qr?instance_id=${id}`, { token });
        return r.status === 200 ? (r.body.value as string) : undefined;
      },
      'QR',
      60_000,
    );
    await sim.scan({ qr, phone: `20105550010${i}`, pushName: `Cluster ${i}`, platform: 'android' });
  }
  const allWorking = () =>
    eventually(
      async () => {
        const rows = await pgQuery<{ status: string }>(`SELECT status FROM "${schema}".instances WHERE id = ANY($1)`, [
          ids,
        ]);
        return rows.every((r) => r.status === 'WORKING') ? true : undefined;
      },
      'all WORKING',
      60_000,
    );
  await allWorking();

  // Join: two more nodes; a full renewal period later every instance is still node-a's.
  const b = await startGateway('node-b');
  const c = await startGateway('node-c');
  await new Promise((r) => setTimeout(r, 4_000));
  assert.deepEqual(Object.values(await owners()).sort(), ['node-a', 'node-a', 'node-a', 'node-a'], 'no steals');
  const nodes = (await call(b, 'GET', '/admin/nodes')).body.nodes as Array<{
    node_id: string;
    live: boolean;
    instances: number;
    self: boolean;
  }>;
  assert.deepEqual(
    nodes.map((n) => [n.node_id, n.live, n.instances, n.self]),
    [
      ['node-a', true, 4, false],
      ['node-b', true, 0, true],
      ['node-c', true, 0, false],
    ],
  );
  // Node view and /me across nodes (docs/multi-node.md "Node view", "Change feed"): /health names the node that
  // answered; node-b and node-c hold no connection for node-a's instances and answer /me from the stored identity,
  // exactly as node-a answers it.
  for (const g of [a, b, c]) assert.equal((await call(g, 'GET', '/health')).body.node, g.id);
  await eventually(async () => {
    const answers = await Promise.all(
      [a, b, c].map((g) => call(g, 'GET', `/v2/session/me?instance_id=${ids[0]}`, { token })),
    );
    return answers.every((r) => r.status === 200 && JSON.stringify(r.body) === JSON.stringify(answers[0]!.body))
      ? true
      : undefined;
  }, '/me the same on every node');
  const before = new Map(await Promise.all(ids.map(async (id) => [id, (await history(id)).length] as const)));

  // kill -9 of node-a: the others take over after the lease expires, resume from stored credentials (no QR).
  a.child.kill('SIGKILL');
  await a.exited;
  gateways.delete('node-a');
  for (const id of ids) {
    const tail = await eventually(
      async () => {
        const h = (await history(id)).slice(before.get(id)!);
        return h.at(-1) === 'WORKING/connected' ? h : undefined;
      },
      `${id} WORKING again`,
      60_000,
    );
    assert.deepEqual(tail, ['STARTING/node_lost', 'WORKING/connected'], 'no QR, no other status on the way');
  }
  const afterKill = await owners();
  assert.deepEqual(
    Object.values(afterKill).sort(),
    ['node-b', 'node-b', 'node-c', 'node-c'],
    'shared by the survivors',
  );

  // SIGSTOP node-b past its leases: node-c takes them over; SIGCONT: node-b must not write anything for them.
  const ofB = ids.filter((id) => afterKill[id] === 'node-b');
  const mark = new Map(await Promise.all(ofB.map(async (id) => [id, (await history(id)).length] as const)));
  b.child.kill('SIGSTOP');
  for (const id of ofB) {
    await eventually(
      async () => ((await history(id)).slice(mark.get(id)!).at(-1) === 'WORKING/connected' ? true : undefined),
      `${id} on node-c`,
      60_000,
    );
  }
  assert.deepEqual(Object.values(await owners()).sort(), ['node-c', 'node-c', 'node-c', 'node-c']);
  b.child.kill('SIGCONT');
  await new Promise((r) => setTimeout(r, 3_000)); // node-b runs again: its timers fire, its old sockets report closes
  for (const id of ofB) {
    assert.deepEqual(
      (await history(id)).slice(mark.get(id)!),
      ['STARTING/node_lost', 'WORKING/connected'],
      'nothing from node-b',
    );
  }
  // What it did instead: on waking, its overdue renewal deadline made it give every lease up and end those sessions.
  assert.match(b.log(), /lease renewal deadline passed; giving up every lease/);
  await allWorking();
  assert.deepEqual(
    Object.values(await owners()).sort(),
    ['node-c', 'node-c', 'node-c', 'node-c'],
    'node-b took nothing back',
  );
  void c;
});

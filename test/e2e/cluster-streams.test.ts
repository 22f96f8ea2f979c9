import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { EventEnvelope } from '../../src/events/index.ts';
import { startGateway, until, type Gateway, type Instance } from '../harness/gateway.ts';
import { sse, ws, type Client } from '../harness/stream-clients.ts';
import { JOHN_DOE } from '../fixtures/identity.ts';
import { PG_URL, dropSchema, listenerPids, randomSchema, terminate } from '../store/pg.ts';

/**
 * Two gateways ("nodes") on one PostgreSQL schema (docs/multi-node.md "Change feed"): clients connected to node A see
 * what node B does, through the change feed, as a single node would show it.
 *
 * - Live streams: a WebSocket and an SSE client on A get the events appended on B (interleaved with A's own, which A
 *   publishes on its bus at once), in seq order, each exactly once, also across a cut of A's change listener (the
 *   events appended while it is down are caught up from the last seq read).
 * - /me: an instance WORKING on B (no connection on A) is answered on A from the stored identity, and a rename on B is
 *   answered on A once its notice arrived.
 *
 * The events and the WORKING status are written through node B's store as B's session manager would write them; the
 * sessions themselves are not needed to show the feed (test/e2e/cluster.test.ts runs real sessions on three processes).
 */

const schema = randomSchema();
let a: Gateway;
let b: Gateway;
let inst: Instance;

before(async () => {
  const postgres = { url: PG_URL, schema };
  b = await startGateway({ postgres, config: { sandbox: false, nodeId: 'node-b' } });
  a = await startGateway({ postgres, config: { sandbox: false, nodeId: 'node-a' } });
  inst = await b.newInstance('cluster-streams');
});
after(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await dropSchema(schema);
});

/** Appends one `message` event for the instance through `node`'s store and publishes it there, as messaging does. */
async function append(node: Gateway, n: number): Promise<number> {
  const envelope: EventEnvelope = {
    id: randomUUID(),
    timestamp: Date.now(),
    session: 'cluster-streams',
    instance_id: inst.id,
    engine: 'BAILEYS',
    event: 'message',
    payload: { n },
    me: null,
  };
  const account = (await node.store.getInstance(inst.id))!.accountId;
  const record = await node.store.appendEvent({
    id: envelope.id,
    accountId: account,
    instanceId: inst.id,
    event: 'message',
    payload: envelope,
  });
  node.sessions.bus.publish({ accountId: account, seq: record.seq, envelope });
  return record.seq;
}

const numbers = (c: Client): number[] =>
  c.seen.filter((s) => s.event === 'message').map((s) => (s.payload as unknown as { n: number }).n);

function assertExactlyOnceInOrder(c: Client, want: number[], seqs: number[]): void {
  const messages = c.seen.filter((s) => s.event === 'message');
  assert.deepEqual(numbers(c), want, 'every event once, in append order');
  assert.deepEqual(
    messages.map((s) => s.seq),
    seqs,
    'with the seqs the outbox gave them',
  );
}

describe('two nodes on one PostgreSQL', () => {
  test('/health names the node that answered; /metrics says its change listener hears the database', async () => {
    assert.equal((await a.call('GET', '/health')).body.node, 'node-a');
    assert.equal((await b.call('GET', '/health')).body.node, 'node-b');
    const text = (await a.admin('GET', '/metrics')).raw.toString('utf8');
    assert.match(text, /^switchboard_node_change_listener_connected\{node="node-a"\} 1$/m);
  });

  test("WebSocket and SSE clients on node A see node B's events in order, exactly once, across a listener cut", async () => {
    const clients = [await sse(a, inst.token), await ws(a, `access_token=${inst.token}&instance_id=${inst.id}`)];
    try {
      const want: number[] = [];
      const seqs: number[] = [];
      // Interleaved: B's events reach A by notification, A's own are published on A's bus at once; the stream must
      // still deliver them in seq order (a local event may not overtake an earlier one of B's not read yet).
      for (let n = 0; n < 12; n++) {
        seqs.push(await append(n % 3 === 2 ? a : b, n));
        want.push(n);
      }
      for (const c of clients) {
        await c.until((seen) => seen.filter((s) => s.event === 'message').length >= want.length);
        assertExactlyOnceInOrder(c, want, seqs);
      }

      // Cut the listeners; B keeps appending while A hears nothing (their notices are lost), then A's listener comes
      // back and A catches up from the last seq it read.
      const pids = await listenerPids(schema);
      assert.ok(pids.length >= 2, 'both nodes listen');
      await terminate(pids);
      for (let n = 12; n < 24; n++) {
        seqs.push(await append(b, n));
        want.push(n);
        await new Promise((r) => setTimeout(r, 25));
      }
      await until('a listener reconnected', async () => (await listenerPids(schema)).some((p) => !pids.includes(p)));
      for (let n = 24; n < 27; n++) {
        seqs.push(await append(b, n));
        want.push(n);
      }
      for (const c of clients) {
        await c.until((seen) => seen.filter((s) => s.event === 'message').length >= want.length);
        assertExactlyOnceInOrder(c, want, seqs);
      }
      // Nothing late: no duplicate arrives after the catch-up.
      await new Promise((r) => setTimeout(r, 300));
      for (const c of clients) assertExactlyOnceInOrder(c, want, seqs);
    } finally {
      for (const c of clients) c.close();
    }
  });

  test('/me on node A for an instance WORKING on node B: the stored identity, and a rename once its notice arrived', async () => {
    const onA = () => a.call('GET', '/v2/session/me', { query: { access_token: inst.token, instance_id: inst.id } });
    assert.equal((await onA()).status, 404, 'not WORKING yet');

    // What B's session manager writes when the instance logs in: the identity, and WORKING.
    await b.store.saveIdentity(inst.id, JOHN_DOE);
    await b.store.recordStatus(inst.id, { status: 'WORKING', reason: 'connected', at: new Date().toISOString() });
    const first = await until('A answers 200', async () => {
      const res = await onA();
      return res.status === 200 ? res : undefined;
    });
    assert.equal(first.body.pushName, 'John Doe');
    assert.equal(first.body.id, '201012345678@c.us');
    const etag = first.headers.get('etag')!;
    assert.equal(
      (
        await a.call('GET', '/v2/session/me', {
          query: { access_token: inst.token, instance_id: inst.id },
          headers: { 'if-none-match': etag },
        })
      ).status,
      304,
    );

    await b.store.saveIdentity(inst.id, { ...JOHN_DOE, pushName: 'Renamed on B' });
    const renamed = await until('A answers the new name', async () => {
      const res = await onA();
      return res.body?.pushName === 'Renamed on B' ? res : undefined;
    });
    assert.notEqual(renamed.headers.get('etag'), etag);

    await b.store.recordStatus(inst.id, { status: 'STOPPED', reason: 'stop_requested', at: new Date().toISOString() });
    await until('A answers 404 once stopped', async () => ((await onA()).status === 404 ? true : undefined));
  });
});

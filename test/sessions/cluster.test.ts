import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { ClusterNode } from '../../src/cluster/index.ts';
import { EventBus } from '../../src/events/index.ts';
import { OwnedElsewhereError, SessionManager } from '../../src/sessions/manager.ts';
import { createPostgresClusterStore, createPostgresStore } from '../../src/store/postgres/index.ts';
import type { Store } from '../../src/store/index.ts';
import { FAST, eventually } from '../cluster/helpers.ts';
import { PG_URL, dropSchema, randomSchema } from '../store/pg.ts';
import { FakeEngine } from './fake-engine.ts';

/**
 * Session managers of several nodes on one PostgreSQL (docs/multi-node.md), each with its own store pool, lease node and
 * scripted engine whose sessions log in from stored credentials at once: an instance runs on exactly one node, stop
 * lets it go, a crashed node's instances resume elsewhere as STARTING/node_lost then WORKING, and a node that lost its
 * leases writes nothing more.
 */

const schema = randomSchema();
const masterKey = randomBytes(32);
let setupStore: Store;
let accountId: string;
const nodes: Node[] = [];

interface Node {
  id: string;
  store: Store;
  engine: FakeEngine;
  cluster: ClusterNode;
  manager: SessionManager;
  close(): Promise<void>;
}

async function startNode(id: string): Promise<Node> {
  const store = createPostgresStore({ url: PG_URL, schema, maxConnections: 4 });
  const leases = createPostgresClusterStore({ url: PG_URL, schema, timeoutMs: 1_000 });
  const engine = new FakeEngine();
  engine.onStart = (session) => void session.open().catch(() => undefined); // stored credentials log in at once
  const cluster = new ClusterNode({
    store: leases,
    node: { id, address: null },
    options: FAST,
    claimStatuses: ['STARTING', 'SCAN_QR_CODE', 'WORKING'],
  });
  const manager = new SessionManager({
    store,
    engine,
    bus: new EventBus(),
    masterKey,
    logger: pino({ level: 'silent' }),
    ownership: cluster,
    options: { startTimeoutMs: 5_000, backoff: { baseMs: 10, maxMs: 40, jitter: 0 } },
  });
  await cluster.start();
  let closed = false;
  const node: Node = {
    id,
    store,
    engine,
    cluster,
    manager,
    async close() {
      if (closed) return;
      closed = true;
      await cluster.halt();
      await manager.shutdown();
      await Promise.all([leases.close(), store.close()]);
    },
  };
  nodes.push(node);
  return node;
}

async function instance(name: string): Promise<string> {
  const id = `${name}${randomBytes(4).toString('hex')}`.slice(0, 12);
  await setupStore.createInstance({
    id,
    accountId,
    name,
    config: { expectedPhone: null, signature: null },
    status: 'STOPPED',
    reason: 'created',
  });
  return id;
}

const stored = async (id: string) => (await setupStore.getInstance(id))!;
const history = async (id: string) =>
  (await setupStore.listStatusHistory(id, 50)).reverse().map((h) => `${h.status}/${h.reason}`);
const working = (id: string) =>
  eventually(async () => ((await stored(id)).status === 'WORKING' ? true : undefined), `${id} WORKING`);

before(async () => {
  setupStore = createPostgresStore({ url: PG_URL, schema, maxConnections: 2 });
  await setupStore.migrate();
  accountId = (await setupStore.createAccount({ name: 'cluster', maxInstances: 100 })).id;
});
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});
after(async () => {
  await setupStore.close();
  await dropSchema(schema);
});

describe('session managers on several nodes', () => {
  test('a started instance runs on exactly one node; the other refuses its commands and never connects it', async () => {
    const [a, b] = [await startNode('one-a'), await startNode('one-b')];
    const id = await instance('one');
    assert.equal((await a.manager.start(id)).status, 'STARTING');
    await working(id);
    await assert.rejects(b.manager.start(id), OwnedElsewhereError);
    await assert.rejects(b.manager.stop(id), OwnedElsewhereError);
    assert.equal(b.engine.startsFor(id).length, 0);
    assert.equal(a.engine.startsFor(id).length, 1);
    assert.deepEqual(await history(id), ['STOPPED/created', 'STARTING/start_requested', 'WORKING/connected']);
  });

  test('stop lets the instance go: another node may start it at once', async () => {
    const [a, b] = [await startNode('stop-a'), await startNode('stop-b')];
    const id = await instance('stop');
    await a.manager.start(id);
    await working(id);
    assert.equal((await a.manager.stop(id)).status, 'STOPPED');
    assert.equal(a.cluster.token(id), null, 'a STOPPED instance needs no owner');
    await b.manager.start(id);
    await working(id);
    assert.equal(b.engine.startsFor(id).length, 1);
    await assert.rejects(a.manager.restart(id), OwnedElsewhereError);
  });

  test('a crashed node: its instances resume on the other as STARTING/node_lost, then WORKING from stored credentials', async () => {
    const a = await startNode('crash-a');
    const ids = [await instance('crash'), await instance('crash'), await instance('crash')];
    for (const id of ids) await a.manager.start(id);
    for (const id of ids) await working(id);
    const b = await startNode('crash-b');
    await a.cluster.halt(); // kill -9 as the database sees it: no renewal, nothing released, its sockets still "open"
    for (const id of ids) {
      await eventually(
        async () =>
          (await history(id)).at(-1) === 'WORKING/connected' && (await history(id)).length === 5 ? true : undefined,
        `${id} back`,
      );
      assert.deepEqual((await history(id)).slice(-2), ['STARTING/node_lost', 'WORKING/connected']);
      assert.equal(b.engine.startsFor(id).length, 1);
      assert.ok(b.cluster.token(id));
    }

    // The stale node now hears WhatsApp replace its old sockets (the new owner logged in): it must write nothing.
    for (const id of ids) a.engine.startsFor(id)[0]!.close('connection_replaced', false);
    // forget() queues behind the close handling of each instance, so once it returns that handling is over.
    for (const id of ids) await a.manager.forget(id);
    for (const id of ids) {
      assert.equal((await stored(id)).status, 'WORKING', 'the stale node did not record STOPPED/connection_replaced');
      assert.ok(!(await history(id)).includes('STOPPED/connection_replaced'));
    }
  });
});

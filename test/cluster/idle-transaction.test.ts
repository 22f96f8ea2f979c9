import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULT_CLUSTER_OPTIONS } from '../../src/cluster/index.ts';
import { createPostgresStore, STORE_IDLE_IN_TRANSACTION_MS } from '../../src/store/postgres/index.ts';
import { PG_URL } from '../store/pg.ts';
import { clusterFixture, eventually, type ClusterFixture } from './helpers.ts';

/**
 * The store's pool ends sessions idle inside a transaction (docs/multi-node.md "Fencing"): a node frozen in the middle
 * of a fenced write holds its lease row share-locked; PostgreSQL ends that session, the lock goes, and the takeover
 * proceeds while the frozen node is still frozen. When it resumes, its transaction is gone and nothing of it lands.
 */

let f: ClusterFixture;
before(async () => (f = await clusterFixture()));
after(() => f.close());

test('the default ends an idle transaction before a lease can expire', () => {
  assert.ok(STORE_IDLE_IN_TRANSACTION_MS < DEFAULT_CLUSTER_OPTIONS.ttlMs);
});

test('a session idle in a fenced transaction is ended by the server: the lease is free, the late write refused', async () => {
  const [id] = await f.instances(1, 'WORKING');
  const a = f.node();
  const b = f.node({ timeoutMs: 10_000 }); // a takeover blocked by the lock would wait, not fail
  const [token] = await a.acquire('idle-a', [id!], 1_000);
  const frozen = createPostgresStore({
    url: PG_URL,
    schema: f.schema,
    maxConnections: 1,
    idleInTransactionTimeoutMs: 300,
  });
  const order: string[] = [];
  let released!: () => void;
  const takenOver = new Promise<void>((resolve) => (released = resolve));
  try {
    let guarded!: () => void;
    const isGuarded = new Promise<void>((resolve) => (guarded = resolve));
    const write = frozen.tx(
      async (tx) => {
        await tx.getInstance(id!); // the lease guard ran before this: the lease row is share-locked
        guarded();
        // Frozen (a SIGSTOP, a long GC pause) until the takeover happened, however long that takes.
        await takenOver;
        order.push('frozen node resumed');
        await tx.recordStatus(id!, { status: 'STOPPED', reason: 'stop_requested', at: new Date().toISOString() });
      },
      { lease: token! },
    );
    const failed = assert.rejects(write);
    await isGuarded;
    const current = await eventually(async () => (await b.acquire('idle-b', [id!], 60_000))[0], 'takeover');
    order.push('takeover');
    assert.equal(current.fence, token!.fence + 1);
    released();
    await failed;
    assert.deepEqual(order, ['takeover', 'frozen node resumed']);
    assert.equal((await f.store.getInstance(id!))?.status, 'WORKING', 'the frozen write did not land');
  } finally {
    released();
    await frozen.close();
  }
});

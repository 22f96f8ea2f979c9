import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPostgresStore } from '../../src/store/postgres/index.ts';
import type { Store, StoreChange } from '../../src/store/index.ts';
import { AuthCache } from '../../src/tenancy/auth-cache.ts';
import { generateToken, hashToken } from '../../src/tenancy/tokens.ts';
import { eventually } from '../cluster/helpers.ts';
import { PG_URL, dropSchema, listenerPids, pgQuery, randomSchema, terminate } from '../store/pg.ts';

/**
 * The exact auth cache on PostgreSQL (docs/multi-node.md "Change feed"): node B caches tokens and instances while its
 * change listener hears the database; whatever node A, or anyone writing SQL, commits reaches B's cache by notification.
 * Each test warms B's cache and checks it is really used (no store read), then changes the world through A.
 */

const schema = randomSchema();
let a: Store;
let b: Store;
let cache: AuthCache;
let reads = 0;
const heard: StoreChange[] = [];

before(async () => {
  a = createPostgresStore({ url: PG_URL, schema, maxConnections: 3 });
  await a.migrate();
  b = createPostgresStore({ url: PG_URL, schema, maxConnections: 3 });
  const find = b.findTokenByHash.bind(b);
  const get = b.getInstance.bind(b);
  Object.assign(b, {
    findTokenByHash: (hash: string) => (reads++, find(hash)),
    getInstance: (id: string) => (reads++, get(id)),
  });
  b.changes!.subscribe((c) => heard.push(c));
  cache = new AuthCache(b);
  await eventually(() => (b.changes!.externalVersion() !== null ? true : undefined), "B's listener");
});
after(async () => {
  cache.close();
  await Promise.all([a.close(), b.close()]);
  await dropSchema(schema);
});

async function accountWithToken(name: string) {
  const account = await a.createAccount({ name, maxInstances: 5 });
  const token = generateToken();
  const record = await a.createToken(account.id, hashToken(token));
  return { account, token, record };
}

/** Resolves once B heard a change like `want` after index `from`. */
const heardOnB = (want: StoreChange, from: number) =>
  eventually(
    () => (heard.slice(from).some((c) => JSON.stringify(c) === JSON.stringify(want)) ? true : undefined),
    'notice on B',
  );

async function warm(token: string): Promise<void> {
  assert.ok(await cache.authenticate(token));
  const before = reads;
  assert.ok(cache.authenticate(token), 'answered');
  assert.equal(reads, before, 'second lookup served from the cache');
}

describe('auth cache on PostgreSQL', () => {
  test('a token revoked on node A is refused by node B once the notification arrived', async () => {
    const { token, record } = await accountWithToken('revoke');
    await warm(token);
    const from = heard.length;
    assert.equal(await a.revokeToken(record.id), true);
    await heardOnB({ kind: 'tokens' }, from);
    assert.equal(await cache.authenticate(token), null);
  });

  test('a revoke by hand-written SQL (the CLI, an operator) reaches it the same way', async () => {
    const { token, record } = await accountWithToken('sql');
    await warm(token);
    const from = heard.length;
    await pgQuery(`UPDATE "${schema}".tokens SET revoked_at = now() WHERE id = $1`, [record.id]);
    await heardOnB({ kind: 'tokens' }, from);
    assert.equal(await cache.authenticate(token), null);
  });

  test("an instance changed or deleted on node A: B's cached record goes", async () => {
    const { account } = await accountWithToken('inst');
    const created = await a.createInstance({
      id: 'pgcacheinst1',
      accountId: account.id,
      name: 'x',
      config: { expectedPhone: null, signature: null },
      status: 'STOPPED',
      reason: 'created',
    });
    assert.equal((await cache.instanceForAccount(account.id, created.id))?.status, 'STOPPED');
    const before = reads;
    assert.equal((cache.instanceForAccount(account.id, created.id) as { status: string }).status, 'STOPPED');
    assert.equal(reads, before, 'cached');

    let from = heard.length;
    await a.recordStatus(created.id, { status: 'STARTING', reason: 'start_requested', at: new Date().toISOString() });
    await heardOnB({ kind: 'instance', id: created.id }, from);
    assert.equal((await cache.instanceForAccount(account.id, created.id))?.status, 'STARTING');

    from = heard.length;
    await a.deleteInstance(created.id);
    await heardOnB({ kind: 'instance', id: created.id }, from);
    assert.equal(await cache.instanceForAccount(account.id, created.id), null);
  });

  test('while the listener is down nothing is cached; listening again, caching resumes', async () => {
    const { token } = await accountWithToken('down');
    await warm(token);
    const pids = await listenerPids(schema);
    assert.ok(pids.length > 0);
    await terminate(pids);
    await eventually(() => (b.changes!.externalVersion() === null ? true : undefined), 'listener down');
    const before = reads;
    assert.ok(await cache.authenticate(token));
    assert.ok(await cache.authenticate(token));
    assert.equal(reads, before + 2, 'every lookup read the store');
    await eventually(() => (b.changes!.externalVersion() !== null ? true : undefined), 'listener back');
    await warm(token);
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { sessionMeRoutes } from '../../src/http/routes/session-me.ts';
import { meEntry } from '../../src/identity/index.ts';
import { SQLITE_FILE_NAME } from '../../src/store/sqlite/index.ts';
import type { Account, InstanceRecord, Store, StoreChange, StoreChanges, TokenRecord } from '../../src/store/index.ts';
import { AuthCache } from '../../src/tenancy/index.ts';
import { hashToken } from '../../src/tenancy/index.ts';
import { createAccount, createInstance, setup, type TestApp } from '../http/helpers.ts';

/**
 * The auth cache (src/tenancy/auth-cache.ts) must be exact: whatever revokes a token or removes an instance — the
 * admin API, the store in this process, the offline CLI in another process, a raw write by another connection —
 * takes effect on the very next request. Each test first warms the cache (and checks it is really used: no store
 * read on the second request), then changes the world and expects the new answer at once.
 */

const execFileP = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/switchboard.mjs', import.meta.url));

let t: TestApp;
let reads: { tokens: number; instances: number };

const identity = {
  phoneJid: '201012345678@s.whatsapp.net',
  lid: null,
  pushName: 'John Doe',
  businessName: null,
  platform: 'android',
  firstSeenAt: '2024-01-01T00:00:00.000Z',
  lastSeenAt: '2024-01-01T00:00:00.000Z',
  stale: false,
};
const entry = meEntry(identity);

before(async () => {
  // /me answers WORKING for every instance here: only authentication decides between 200, 401 and 404.
  t = await setup({ plugins: [sessionMeRoutes({ me: () => ({ kind: 'working', entry }) })] });
  // Count the store reads authentication makes, to show the cache is in use.
  const store = t.store as Store & Record<string, unknown>;
  const findTokenByHash = store.findTokenByHash.bind(store);
  const getInstance = store.getInstance.bind(store);
  store.findTokenByHash = (hash: string) => {
    reads.tokens++;
    return findTokenByHash(hash);
  };
  store.getInstance = (id: string) => {
    reads.instances++;
    return getInstance(id);
  };
});
after(() => t.close());
beforeEach(() => {
  reads = { tokens: 0, instances: 0 };
});

const me = (token: string, instanceId: string) =>
  t.app.inject({ method: 'GET', url: `/v2/session/me?access_token=${token}&instance_id=${instanceId}` });
const instances = (token: string) =>
  t.app.inject({ method: 'GET', url: `/v2/account/instances?access_token=${token}` });

async function issue(accountId: string): Promise<{ tokenId: string; token: string }> {
  const res = await t.app.inject({ method: 'POST', url: `/admin/accounts/${accountId}/tokens`, headers: t.admin });
  assert.equal(res.statusCode, 201);
  return { tokenId: res.json().token_id, token: res.json().access_token };
}

/** Two good answers, the second one from the cache (no token or instance read). */
async function warm(token: string, instanceId: string): Promise<void> {
  assert.equal((await me(token, instanceId)).statusCode, 200);
  const before = { ...reads };
  assert.equal((await me(token, instanceId)).statusCode, 200);
  assert.deepEqual(reads, before, 'a warm /me reads neither the token nor the instance');
}

/**
 * A write by another connection, as another process would make it, then the next event-loop turn: a request from the
 * network sent after that commit is read in a later turn (inject would run it in this one), and the cache checks for
 * other connections' commits once per turn.
 */
async function otherConnection(fn: (db: Database.Database) => void): Promise<void> {
  const db = new Database(join(t.dir, SQLITE_FILE_NAME));
  try {
    db.pragma('foreign_keys = ON');
    fn(db);
  } finally {
    db.close();
  }
  await new Promise((resolve) => setImmediate(resolve));
}

describe('auth cache: revocations and deletions take effect on the next request', () => {
  test('revoked via the admin API', async () => {
    const acc = await createAccount(t, 'api-revoke');
    const id = await createInstance(t, acc.token);
    const { tokenId, token } = await issue(acc.id);
    await warm(token, id);
    const del = await t.app.inject({ method: 'DELETE', url: `/admin/tokens/${tokenId}`, headers: t.admin });
    assert.equal(del.statusCode, 204);
    assert.equal((await me(token, id)).statusCode, 401);
    assert.equal((await instances(token)).statusCode, 401);
    // The account's other token is untouched (it only has to be read again).
    assert.equal((await me(acc.token, id)).statusCode, 200);
  });

  test('revoked through the store of this process (no HTTP route involved)', async () => {
    const acc = await createAccount(t, 'store-revoke');
    const id = await createInstance(t, acc.token);
    const { tokenId, token } = await issue(acc.id);
    await warm(token, id);
    assert.equal(await t.store.revokeToken(tokenId), true);
    assert.equal((await me(token, id)).statusCode, 401);
  });

  test('revoked by the offline CLI, another process on the same database', async () => {
    const acc = await createAccount(t, 'cli-revoke');
    const id = await createInstance(t, acc.token);
    const { tokenId, token } = await issue(acc.id);
    await warm(token, id);
    const { DATABASE_URL: _url, SWITCHBOARD_DATA_DIR: _dir, ...env } = process.env;
    const { stdout } = await execFileP(process.execPath, [BIN, 'tokens', 'revoke', tokenId, '--data-dir', t.dir], {
      env,
    });
    assert.deepEqual(JSON.parse(stdout), { token_id: tokenId, revoked: true });
    assert.equal((await me(token, id)).statusCode, 401);
    assert.equal((await instances(token)).statusCode, 401);
    assert.equal((await me(acc.token, id)).statusCode, 200);
  });

  test('revoked by a raw write of another connection', async () => {
    const acc = await createAccount(t, 'raw-revoke');
    const id = await createInstance(t, acc.token);
    await warm(acc.token, id);
    await otherConnection((db) =>
      db
        .prepare('UPDATE tokens SET revoked_at = ? WHERE token_hash = ?')
        .run(new Date().toISOString(), hashToken(acc.token)),
    );
    assert.equal((await me(acc.token, id)).statusCode, 401);
  });

  test('the token of a deleted account', async () => {
    const acc = await createAccount(t, 'deleted-account');
    const id = await createInstance(t, acc.token);
    await warm(acc.token, id);
    // There is no account deletion in the API or the CLI; an operator could still do it in SQL.
    await otherConnection((db) => {
      db.prepare('DELETE FROM instances WHERE account_id = ?').run(acc.id);
      db.prepare('DELETE FROM accounts WHERE id = ?').run(acc.id);
    });
    assert.equal((await me(acc.token, id)).statusCode, 401);
    assert.equal((await instances(acc.token)).statusCode, 401);
  });

  test('a deleted instance is 404 at once (API delete and another connection)', async () => {
    const acc = await createAccount(t, 'deleted-instance');
    const first = await createInstance(t, acc.token);
    const second = await createInstance(t, acc.token);
    await warm(acc.token, first);
    await warm(acc.token, second);
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/v2/session/delete?access_token=${acc.token}&instance_id=${first}`,
    });
    assert.equal(del.statusCode, 200);
    const gone = await me(acc.token, first);
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.json().code, 'invalid_instance');
    assert.equal((await me(acc.token, second)).statusCode, 200);
    await otherConnection((db) => db.prepare('DELETE FROM instances WHERE id = ?').run(second));
    assert.equal((await me(acc.token, second)).statusCode, 404);
  });

  test('another account’s cached instance is still 404 invalid_instance', async () => {
    const owner = await createAccount(t, 'owner');
    const other = await createAccount(t, 'other');
    const id = await createInstance(t, owner.token);
    await warm(owner.token, id);
    await warm(other.token, await createInstance(t, other.token));
    const res = await me(other.token, id);
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().code, 'invalid_instance');
  });

  test('instance changes made in this process are seen at once (/v2/session/info status and name)', async () => {
    const acc = await createAccount(t, 'changes');
    const id = await createInstance(t, acc.token, { name: 'before' });
    const info = async () =>
      (
        await t.app.inject({ method: 'GET', url: `/v2/session/info?access_token=${acc.token}&instance_id=${id}` })
      ).json();
    assert.equal((await info()).name, 'before');
    assert.equal((await info()).status, 'STOPPED');
    await t.store.recordStatus(id, { status: 'STARTING', reason: 'started', at: new Date().toISOString() });
    assert.equal((await info()).status, 'STARTING');
    const cfg = await t.app.inject({
      method: 'POST',
      url: `/v2/session/config?access_token=${acc.token}&instance_id=${id}`,
      payload: { name: 'after' },
    });
    assert.equal(cfg.statusCode, 200);
    assert.equal((await info()).name, 'after');
  });
});

/** A store double: only what AuthCache reads, with a switchable external version and manual change announcements. */
function fakeStore(version: () => number | null) {
  const account: Account = { id: 'acc_1', name: 'a', maxInstances: 1, createdAt: '2024-01-01T00:00:00.000Z' };
  const token: TokenRecord = { id: 'tok_1', accountId: 'acc_1', createdAt: account.createdAt, revokedAt: null };
  const listeners = new Set<(c: StoreChange) => void>();
  const changes: StoreChanges = {
    externalVersion: version,
    subscribe: (l) => (listeners.add(l), () => listeners.delete(l)),
  };
  let release: (() => void) | null = null;
  const calls = { tokens: 0 };
  const store = {
    kind: 'sqlite',
    changes,
    hold: false,
    async findTokenByHash() {
      calls.tokens++;
      if (store.hold) await new Promise<void>((r) => (release = r));
      return { token, account };
    },
    async getInstance(): Promise<InstanceRecord | null> {
      return null;
    },
  };
  return {
    store: store as unknown as Store & { hold: boolean },
    calls,
    emit: (c: StoreChange) => listeners.forEach((l) => l(c)),
    release: () => release?.(),
  };
}

describe('auth cache: unit rules', () => {
  test('a store that cannot tell about other writers (PostgreSQL) gets no caching', async () => {
    const f = fakeStore(() => null);
    const cache = new AuthCache(f.store);
    for (let i = 0; i < 3; i++) assert.ok(await cache.authenticate('sb_x'));
    assert.equal(f.calls.tokens, 3);
    assert.deepEqual(cache.size, { tokens: 0, instances: 0 });
  });

  test('hits are synchronous; an external version change drops everything', async () => {
    let v = 1;
    const f = fakeStore(() => v);
    const cache = new AuthCache(f.store);
    const miss = cache.authenticate('sb_x');
    assert.ok(miss instanceof Promise);
    await miss;
    const hit = cache.authenticate('sb_x');
    assert.ok(hit && !(hit instanceof Promise), 'a hit is not a promise');
    assert.equal(f.calls.tokens, 1);
    v = 2;
    // The version is read once per event-loop turn (every request of a turn was readable before its first lookup).
    assert.ok(!(cache.authenticate('sb_x') instanceof Promise), 'same turn: the version read before still holds');
    await Promise.resolve();
    assert.ok(!(cache.authenticate('sb_x') instanceof Promise), 'same turn, after a microtask: still holds');
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(cache.authenticate('sb_x') instanceof Promise, 'next turn: the new version drops the entry');
    assert.equal(f.calls.tokens, 2);
  });

  test('a lookup that raced a revoke does not fill the cache', async () => {
    const f = fakeStore(() => 1);
    const cache = new AuthCache(f.store);
    f.store.hold = true;
    const pending = cache.authenticate('sb_x');
    await new Promise((r) => setImmediate(r));
    f.emit({ kind: 'tokens' });
    f.release();
    await pending;
    f.store.hold = false;
    assert.equal(cache.size.tokens, 0);
    assert.ok(cache.authenticate('sb_x') instanceof Promise, 'the next request reads the store again');
  });

  test('empty and oversized tokens never reach the store', () => {
    const f = fakeStore(() => 1);
    const cache = new AuthCache(f.store);
    assert.equal(cache.authenticate(''), null);
    assert.equal(cache.authenticate('x'.repeat(513)), null);
    assert.equal(f.calls.tokens, 0);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import { ADMIN_TOKEN_SETTING, bootstrapAdminToken, isAdminToken } from '../../src/tenancy/index.ts';
import { hashToken } from '../../src/tenancy/index.ts';
import { createAccount, setup } from '../http/helpers.ts';

/** Every file of the SQLite database (main, -wal, -shm, journal) as one buffer. */
function databaseBytes(dir: string): Buffer {
  const files = readdirSync(dir).filter((f) => f.startsWith('switchboard.db'));
  assert.ok(files.length > 0);
  return Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
}

describe('tokens are not stored in plaintext', () => {
  test('access tokens and the admin token appear nowhere in the DB files (WAL included), their hashes do', async () => {
    const t = await setup();
    const tokens: string[] = [];
    try {
      for (let i = 0; i < 3; i++) tokens.push((await createAccount(t, `acct${i}`)).token);
      const first = await createAccount(t, 'more');
      const extra = await t.app.inject({ method: 'POST', url: `/admin/accounts/${first.id}/tokens`, headers: t.admin });
      tokens.push(first.token, extra.json().access_token);
      // Read while the store is open (the WAL still holds recent writes) …
      const open = databaseBytes(t.dir);
      for (const token of [...tokens, t.adminToken]) {
        assert.equal(open.indexOf(token), -1, 'plaintext token in the database');
        assert.equal(open.indexOf(token.slice(3)), -1, 'token body in the database');
      }
      assert.notEqual(open.indexOf(hashToken(tokens[0])), -1, 'the hash is what is stored');
    } finally {
      await t.app.close();
      await t.store.close();
    }
    // … and after close (checkpointed into the main file).
    const closed = databaseBytes(t.dir);
    for (const token of [...tokens, t.adminToken]) assert.equal(closed.indexOf(token), -1);
    rmSync(t.dir, { recursive: true, force: true });
  });
});

describe('admin token bootstrap', () => {
  test('generated once (sbadm_…), hash only stored; later starts generate nothing; env wins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-admin-'));
    try {
      let store = await openStore({ dataDir: dir });
      const first = await bootstrapAdminToken(store, null);
      assert.match(first.generated ?? '', /^sbadm_[A-Za-z0-9_-]{43}$/);
      const token = first.generated as string;
      assert.equal(await store.getSetting(ADMIN_TOKEN_SETTING), hashToken(token));
      assert.equal(await isAdminToken(store, token), true);
      assert.equal(await isAdminToken(store, `${token}x`), false);
      assert.equal(await isAdminToken(store, ''), false);
      await store.close();
      assert.equal(databaseBytes(dir).indexOf(token), -1);

      store = await openStore({ dataDir: dir });
      assert.deepEqual(await bootstrapAdminToken(store, null), { generated: null });
      assert.equal(await isAdminToken(store, token), true);

      const configured = 'configured-admin-token-123456';
      assert.deepEqual(await bootstrapAdminToken(store, configured), { generated: null });
      assert.equal(await isAdminToken(store, configured), true);
      assert.equal(await isAdminToken(store, token), false, 'the old generated token no longer works');
      await store.close();
      assert.equal(databaseBytes(dir).indexOf(configured), -1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QuotaReachedError } from '../../src/store/index.ts';
import { hashToken, generateToken } from '../../src/tenancy/index.ts';
import { ISO, newAccount, newInstance, unique, type GetStore } from './contract-helpers.ts';

/** Contract: settings, accounts, tokens, quota. */
export function tenancyContract(store: GetStore): void {
  describe('settings', () => {
    test('missing key is null; set, then overwrite', async () => {
      const key = unique('setting');
      assert.equal(await store().getSetting(key), null);
      await store().setSetting(key, 'one');
      assert.equal(await store().getSetting(key), 'one');
      await store().setSetting(key, 'two');
      assert.equal(await store().getSetting(key), 'two');
    });
  });

  describe('accounts', () => {
    test('create, get, list', async () => {
      const name = unique('acme');
      const account = await store().createAccount({ name, maxInstances: 7 });
      assert.match(account.id, /^acc_[0-9a-f]{24}$/);
      assert.equal(account.name, name);
      assert.equal(account.maxInstances, 7);
      assert.match(account.createdAt, ISO);
      assert.deepEqual(await store().getAccount(account.id), account);
      assert.equal(await store().getAccount('acc_missing'), null);
      const listed = await store().listAccounts();
      assert.deepEqual(
        listed.find((a) => a.id === account.id),
        account,
      );
    });
  });

  describe('tokens', () => {
    test('a token resolves to its account by hash; listTokens shows it', async () => {
      const account = await newAccount(store());
      const plaintext = generateToken();
      const token = await store().createToken(account.id, hashToken(plaintext));
      assert.match(token.id, /^tok_/);
      assert.equal(token.accountId, account.id);
      assert.equal(token.revokedAt, null);
      assert.match(token.createdAt, ISO);
      const found = await store().findTokenByHash(hashToken(plaintext));
      assert.deepEqual(found, { token, account });
      assert.deepEqual(await store().listTokens(account.id), [token]);
      assert.equal(await store().findTokenByHash(hashToken(generateToken())), null);
    });

    test('a revoked token no longer resolves; revoking twice or an unknown id is false', async () => {
      const account = await newAccount(store());
      const plaintext = generateToken();
      const keep = generateToken();
      const token = await store().createToken(account.id, hashToken(plaintext));
      await store().createToken(account.id, hashToken(keep));
      assert.equal(await store().revokeToken(token.id), true);
      assert.equal(await store().findTokenByHash(hashToken(plaintext)), null);
      assert.notEqual(await store().findTokenByHash(hashToken(keep)), null, 'other tokens keep working');
      assert.equal(await store().revokeToken(token.id), false);
      assert.equal(await store().revokeToken('tok_missing'), false);
      const listed = (await store().listTokens(account.id)).find((t) => t.id === token.id);
      assert.match(listed?.revokedAt ?? '', ISO);
    });

    test('the same hash cannot be stored twice; a token needs an existing account', async () => {
      const account = await newAccount(store());
      const hash = hashToken(generateToken());
      await store().createToken(account.id, hash);
      await assert.rejects(store().createToken(account.id, hash));
      await assert.rejects(store().createToken('acc_missing', hashToken(generateToken())));
    });
  });

  describe('quota', () => {
    test('createInstance refuses past max_instances; a delete frees a slot', async () => {
      const account = await newAccount(store(), 2);
      const first = await newInstance(store(), account.id);
      await newInstance(store(), account.id);
      await assert.rejects(newInstance(store(), account.id), (err: unknown) => {
        assert.ok(err instanceof QuotaReachedError);
        assert.equal(err.limit, 2);
        return true;
      });
      assert.equal((await store().listInstances(account.id)).length, 2);
      await store().deleteInstance(first.id);
      await newInstance(store(), account.id);
    });

    test('a quota of 0 allows nothing; an unknown account is refused', async () => {
      const account = await newAccount(store(), 0);
      await assert.rejects(newInstance(store(), account.id), QuotaReachedError);
      await assert.rejects(newInstance(store(), 'acc_missing'), /does not exist/);
    });

    test('5 concurrent creates against max 3: exactly 3 succeed', async () => {
      const account = await newAccount(store(), 3);
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => newInstance(store(), account.id)));
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r) => r.status === 'rejected');
      assert.equal(ok.length, 3);
      assert.equal(refused.length, 2);
      for (const r of refused) assert.ok((r as PromiseRejectedResult).reason instanceof QuotaReachedError);
      assert.equal((await store().listInstances(account.id)).length, 3);
    });

    test('quota also holds for creates inside caller transactions', async () => {
      const account = await newAccount(store(), 1);
      const results = await Promise.allSettled(
        Array.from({ length: 3 }, () => store().tx((tx) => newInstance(tx, account.id))),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.equal((await store().listInstances(account.id)).length, 1);
    });
  });
}

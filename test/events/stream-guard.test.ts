import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamGuard, StreamLimitError, type StreamEndReason } from '../../src/events/stream-guard.ts';
import { openStore } from '../../src/store/open.ts';
import { createAccountWithToken } from '../../src/tenancy/accounts.ts';
import { hashToken } from '../../src/tenancy/tokens.ts';
import { dropSchema, PG_URL, randomSchema } from '../store/pg.ts';

/**
 * The guard on PostgreSQL: a revoke and an account deletion made by another node's connection end the streams. They
 * reach this node as change notifications (LISTEN/NOTIFY, docs/multi-node.md "Change feed"); while its listener is
 * down (externalVersion() null) the poll re-checks on every tick instead.
 */
test('PostgreSQL: a revoke and an account deletion by another node end the streams', async (t) => {
  const schema = randomSchema();
  const here = await openStore({ dataDir: '/nonexistent', databaseUrl: PG_URL, schema });
  const otherNode = await openStore({ dataDir: '/nonexistent', databaseUrl: PG_URL, schema });
  const guard = new StreamGuard(here, { maxPerAccount: 2, pollMs: 50 });
  t.after(async () => {
    guard.close();
    await here.close();
    await otherNode.close();
    await dropSchema(schema);
  });

  const revoked = await createAccountWithToken(here, { name: 'r' });
  const deleted = await createAccountWithToken(here, { name: 'd' });
  const ended = new Map<string, StreamEndReason>();
  const admit = (name: string, accountId: string, token: string) =>
    guard.admit({ accountId, tokenHash: hashToken(token) }, (reason) => ended.set(name, reason));
  admit('r1', revoked.account.id, revoked.accessToken);
  admit('d1', deleted.account.id, deleted.accessToken);
  admit('d2', deleted.account.id, deleted.accessToken);
  assert.throws(() => admit('d3', deleted.account.id, deleted.accessToken), StreamLimitError);

  await otherNode.revokeToken(revoked.tokenId);
  await otherNode.deleteAccount(deleted.account.id);
  const deadline = Date.now() + 5_000;
  while (ended.size < 3) {
    assert.ok(Date.now() < deadline, `not ended: ${JSON.stringify([...ended])}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(Object.fromEntries(ended), { r1: 'token_revoked', d1: 'account_deleted', d2: 'account_deleted' });
  assert.equal(guard.count(deleted.account.id), 0, 'ended streams are released');
});

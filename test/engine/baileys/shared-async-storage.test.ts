import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedAsyncLocalStorage, shareAsyncLocalStorage } from '../../../src/engine/baileys/shared-async-storage.ts';

test('storages keep their own values, nested, across await, timers and callbacks', async () => {
  const a = new KeyedAsyncLocalStorage<string>();
  const b = new KeyedAsyncLocalStorage<number>();
  assert.equal(a.getStore(), undefined);
  await a.run('outer', async () => {
    assert.equal(a.getStore(), 'outer');
    assert.equal(b.getStore(), undefined);
    await b.run(1, async () => {
      await sleep(1);
      assert.equal(a.getStore(), 'outer', 'the other storage is still seen inside');
      assert.equal(b.getStore(), 1);
      await a.run('inner', async () => {
        await Promise.resolve();
        assert.equal(a.getStore(), 'inner');
        assert.equal(b.getStore(), 1);
      });
      assert.equal(a.getStore(), 'outer', 'back to the outer value');
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          assert.equal(b.getStore(), 1, 'a timer callback sees the value of where it was set');
          resolve();
        }, 1),
      );
    });
    assert.equal(b.getStore(), undefined);
  });
  assert.equal(a.getStore(), undefined);
});

test('concurrent runs of one storage do not see each other', async () => {
  const tx = new KeyedAsyncLocalStorage<{ id: number }>();
  const seen = await Promise.all(
    [1, 2, 3].map((id) =>
      tx.run({ id }, async () => {
        await sleep(4 - id);
        return tx.getStore()?.id;
      }),
    ),
  );
  assert.deepEqual(seen, [1, 2, 3]);
});

test('exit, enterWith and disable', async () => {
  const s = new KeyedAsyncLocalStorage<string>();
  const other = new KeyedAsyncLocalStorage<string>();
  s.run('x', () =>
    other.run('y', () => {
      s.exit(() => {
        assert.equal(s.getStore(), undefined);
        assert.equal(other.getStore(), 'y', 'exit leaves the other storages alone');
      });
      assert.equal(s.getStore(), 'x');
    }),
  );
  await (async () => {
    s.enterWith('entered');
    await Promise.resolve();
    assert.equal(s.getStore(), 'entered');
    s.disable();
    assert.equal(s.getStore(), undefined);
  })();
});

test('installed: node:async_hooks hands out the keyed storage, to CommonJS and to ES module imports alike', async () => {
  shareAsyncLocalStorage();
  const { createRequire } = await import('node:module');
  const cjs = createRequire(import.meta.url)('node:async_hooks') as typeof import('node:async_hooks');
  assert.ok(new cjs.AsyncLocalStorage() instanceof KeyedAsyncLocalStorage);
  const esm = await import('node:async_hooks');
  assert.ok(new esm.AsyncLocalStorage() instanceof KeyedAsyncLocalStorage);
  // Baileys' key transactions (the reason for all this) still work: inside, reads see the transaction's writes before
  // they are committed; outside, nothing is in a transaction; the commit is one write.
  const { addTransactionCapability } = await import('baileys');
  const writes: unknown[] = [];
  const state = {
    get: async () => ({}),
    set: async (data: unknown) => void writes.push(data),
  };
  const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, child: () => silent, level: 'silent' };
  const keys = addTransactionCapability(state as never, silent as never, {
    maxCommitRetries: 1,
    delayBetweenTriesMs: 1,
  });
  assert.equal(keys.isInTransaction(), false);
  await keys.transaction(async () => {
    assert.equal(keys.isInTransaction(), true);
    await keys.set({ session: { a: Buffer.from('1') } } as never);
    await sleep(1);
    const got = await keys.get('session', ['a']);
    assert.deepEqual(got, { a: Buffer.from('1') });
    assert.equal(writes.length, 0, 'not committed yet');
  }, 'tx');
  assert.equal(keys.isInTransaction(), false);
  assert.equal(writes.length, 1);
});

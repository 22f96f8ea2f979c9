import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/store/sql/migrations.ts';
import { createSqliteStore } from '../../src/store/sqlite/index.ts';
import { storeContract } from './contract.ts';
import { tempDir } from './tmp.ts';

const tmp = tempDir();
after(() => tmp.remove());

let runs = 0;
storeContract('sqlite', async () => {
  const dataDir = join(tmp.dir, `contract-${++runs}`);
  const store = createSqliteStore({ dataDir });
  await store.migrate();
  return { store, cleanup: () => store.close() };
});

describe('SQLite specifics', () => {
  test('lives in <dataDir>/switchboard.db (directory created), WAL mode, schema version recorded', async () => {
    const dataDir = join(tmp.dir, 'nested', 'data');
    const store = createSqliteStore({ dataDir });
    await store.migrate();
    await store.setSetting('k', 'v');
    await store.close();
    const file = join(dataDir, 'switchboard.db');
    assert.ok(existsSync(file));
    const raw = new Database(file, { readonly: true });
    try {
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      const versions = raw.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{
        version: number;
      }>;
      assert.deepEqual(
        versions.map((v) => v.version),
        MIGRATIONS.map((m) => m.version),
      );
    } finally {
      raw.close();
    }
  });

  test('data survives close and reopen; migrate on an up-to-date file changes nothing', async () => {
    const dataDir = join(tmp.dir, 'reopen');
    const first = createSqliteStore({ dataDir });
    await first.migrate();
    const account = await first.createAccount({ name: 'durable', maxInstances: 1 });
    await first.close();
    const second = createSqliteStore({ dataDir });
    await second.migrate();
    assert.deepEqual(await second.getAccount(account.id), account);
    await second.close();
  });

  test('calls outside an open transaction wait until it ends', async () => {
    const store = createSqliteStore({ dataDir: join(tmp.dir, 'waits') });
    await store.migrate();
    await store.setSetting('k', 'before');
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const txDone = store.tx(async (tx) => {
      await tx.setSetting('k', 'inside');
      await gate; // the transaction stays open across this await
      order.push('commit');
    });
    try {
      const outside = store.getSetting('k').then((value) => {
        order.push('read');
        return value;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(order, [], 'the outside read is still waiting');
      release();
      await txDone;
      assert.equal(await outside, 'inside', 'it ran after the commit');
      assert.deepEqual(order, ['commit', 'read']);
    } finally {
      release(); // a failed assertion must not leave the transaction (and close()) waiting forever
      await txDone.catch(() => undefined);
      await store.close();
    }
  });

  test('close waits for an open transaction, then refuses calls', async () => {
    const store = createSqliteStore({ dataDir: join(tmp.dir, 'close') });
    await store.migrate();
    const txDone = store.tx(async (tx) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await tx.setSetting('k', 'v');
    });
    await store.close();
    await txDone;
    await assert.rejects(store.getSetting('k'), /closed/);
  });
});

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteDriver } from '../../src/store/sqlite/sqlite-driver.ts';
import { tempDir } from './tmp.ts';

/**
 * SqliteDriver.externalVersion(): moves when ANOTHER connection commits (what lets the auth cache stay exact when the
 * offline CLI revokes a token), stays put for our own writes (or the cache would be flushed by every status change).
 */

const tmp = tempDir('switchboard-extver-');
after(() => tmp.remove());

async function fixture(name: string) {
  const file = join(tmp.dir, `${name}.db`);
  const driver = new SqliteDriver(file);
  await driver.conn.exec('CREATE TABLE t (a INTEGER)');
  const other = new Database(file);
  return {
    driver,
    other: (sql: string) => other.prepare(sql).run(),
    async close() {
      other.close();
      await driver.close();
    },
  };
}

describe('SqliteDriver.externalVersion', () => {
  test('our own writes (autocommit, RETURNING, transactions) do not move it', async () => {
    const f = await fixture('own');
    const v = f.driver.externalVersion();
    await f.driver.conn.run('INSERT INTO t (a) VALUES (1)');
    await f.driver.conn.all('INSERT INTO t (a) VALUES (2) RETURNING a');
    await f.driver.transaction(async (tx) => {
      await tx.run('INSERT INTO t (a) VALUES (3)');
    });
    await f.driver.conn.all('SELECT * FROM t');
    assert.equal(f.driver.externalVersion(), v);
    await f.close();
  });

  test('a commit by another connection moves it, once', async () => {
    const f = await fixture('other');
    const v = f.driver.externalVersion();
    f.other('INSERT INTO t (a) VALUES (1)');
    const w = f.driver.externalVersion();
    assert.notEqual(w, v);
    assert.equal(f.driver.externalVersion(), w);
    await f.close();
  });

  test('another connection’s commit followed by our own write before any check is still seen', async () => {
    const f = await fixture('interleaved');
    const v = f.driver.externalVersion();
    f.other('INSERT INTO t (a) VALUES (1)');
    await f.driver.conn.run('INSERT INTO t (a) VALUES (2)');
    assert.notEqual(f.driver.externalVersion(), v);
    await f.close();
  });

  test('after close: null (nothing may be cached)', async () => {
    const f = await fixture('closed');
    await f.close();
    assert.equal(f.driver.externalVersion(), null);
  });
});

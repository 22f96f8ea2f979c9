import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import { isPostgresUrl } from '../../src/store/postgres/index.ts';
import { dropSchema, PG_URL, randomSchema } from './pg.ts';
import { tempDir } from './tmp.ts';

const tmp = tempDir();
after(() => tmp.remove());

describe('openStore', () => {
  test('without a PostgreSQL URL: SQLite in the data dir (created), migrated', async () => {
    const dataDir = join(tmp.dir, 'a', 'b');
    for (const databaseUrl of [undefined, null, '', 'mysql://nope']) {
      const store = await openStore({ dataDir, databaseUrl });
      assert.equal(store.kind, 'sqlite');
      await store.setSetting('ready', 'yes'); // tables exist: migrated
      await store.close();
    }
    assert.ok(existsSync(join(dataDir, 'switchboard.db')));
  });

  test('postgres:// and postgresql:// select PostgreSQL, migrated', async () => {
    const schema = randomSchema();
    try {
      for (const url of [PG_URL, PG_URL.replace(/^postgres:/, 'postgresql:')]) {
        const store = await openStore({ dataDir: join(tmp.dir, 'unused'), databaseUrl: url, schema });
        assert.equal(store.kind, 'postgres');
        await store.setSetting('ready', 'yes');
        await store.close();
      }
      assert.ok(!existsSync(join(tmp.dir, 'unused')), 'no data dir needed');
    } finally {
      await dropSchema(schema);
    }
  });

  test('a PostgreSQL server that cannot be reached rejects (and leaves nothing open)', async () => {
    await assert.rejects(openStore({ dataDir: tmp.dir, databaseUrl: 'postgres://127.0.0.1:1/none' }));
  });

  test('isPostgresUrl', () => {
    assert.equal(isPostgresUrl('postgres://h/db'), true);
    assert.equal(isPostgresUrl('PostgreSQL://h/db'), true);
    assert.equal(isPostgresUrl('sqlite:///x'), false);
    assert.equal(isPostgresUrl(null), false);
  });
});

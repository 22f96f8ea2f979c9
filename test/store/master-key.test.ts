import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadMasterKey, parseMasterKey } from '../../src/store/index.ts';
import { tempDir } from './tmp.ts';

const tmp = tempDir();
after(() => tmp.remove());
let n = 0;
const freshDir = (): string => join(tmp.dir, `d${++n}`);

describe('master key', () => {
  test('generated once into <dataDir>/master.key with mode 0600, then reused', () => {
    const dataDir = freshDir();
    const first = loadMasterKey({ dataDir, envValue: null });
    assert.equal(first.length, 32);
    const file = join(dataDir, 'master.key');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const onDisk = readFileSync(file);
    assert.deepEqual(loadMasterKey({ dataDir, envValue: null }), first);
    assert.deepEqual(readFileSync(file), onDisk, 'never rewritten');
    assert.deepEqual(readdirSync(dataDir), ['master.key'], 'no temporary files left behind');
  });

  test('different data dirs get different keys', () => {
    assert.notDeepEqual(
      loadMasterKey({ dataDir: freshDir(), envValue: null }),
      loadMasterKey({ dataDir: freshDir(), envValue: null }),
    );
  });

  test('SWITCHBOARD_MASTER_KEY wins and no file is written', () => {
    const dataDir = freshDir();
    const key = randomBytes(32);
    assert.deepEqual(loadMasterKey({ dataDir, envValue: key.toString('base64') }), key);
    assert.deepEqual(
      loadMasterKey({ dataDir, envValue: ` ${key.toString('base64url')}\n` }),
      key,
      'url-safe, padded or not',
    );
    assert.ok(!existsSync(join(dataDir, 'master.key')));
  });

  test('the environment is read when envValue is omitted', () => {
    const key = randomBytes(32);
    const saved = process.env.SWITCHBOARD_MASTER_KEY;
    process.env.SWITCHBOARD_MASTER_KEY = key.toString('base64');
    try {
      assert.deepEqual(loadMasterKey({ dataDir: freshDir() }), key);
    } finally {
      if (saved === undefined) delete process.env.SWITCHBOARD_MASTER_KEY;
      else process.env.SWITCHBOARD_MASTER_KEY = saved;
    }
  });

  for (const [label, value] of [
    ['too short', randomBytes(16).toString('base64')],
    ['too long', randomBytes(33).toString('base64')],
    ['hex, not base64', randomBytes(32).toString('hex')],
    ['not base64 at all', 'correct horse battery staple!!!!!!!!!!!!!!!!'],
    [
      'garbage inside',
      `${randomBytes(32).toString('base64').slice(0, 20)}*${randomBytes(32).toString('base64').slice(21)}`,
    ],
  ] as const) {
    test(`a bad SWITCHBOARD_MASTER_KEY (${label}) is one clear line naming the variable`, () => {
      assert.throws(
        () => loadMasterKey({ dataDir: freshDir(), envValue: value }),
        (err: unknown) => {
          assert.ok(err instanceof Error);
          assert.match(err.message, /SWITCHBOARD_MASTER_KEY/);
          assert.ok(!err.message.includes('\n'));
          assert.ok(!err.message.includes(value), 'the bad value is not echoed');
          return true;
        },
      );
    });
  }

  test('a corrupt master.key is refused, not replaced', () => {
    const dataDir = freshDir();
    loadMasterKey({ dataDir, envValue: null });
    const file = join(dataDir, 'master.key');
    writeFileSync(file, 'not a key\n');
    assert.throws(() => loadMasterKey({ dataDir, envValue: null }), /master\.key.*SWITCHBOARD_MASTER_KEY/);
    assert.equal(readFileSync(file, 'utf8'), 'not a key\n');
  });

  test('parseMasterKey accepts exactly 32 base64 bytes', () => {
    const key = randomBytes(32);
    assert.deepEqual(parseMasterKey(key.toString('base64')), key);
    assert.equal(parseMasterKey(''), null);
    assert.equal(parseMasterKey('===='), null);
  });
});

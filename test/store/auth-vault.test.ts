import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AuthDecryptError, AuthVault } from '../../src/store/index.ts';
import { createSqliteStore } from '../../src/store/sqlite/index.ts';
import type { Store } from '../../src/store/index.ts';
import { tempDir } from './tmp.ts';

const tmp = tempDir();
let store: Store;
let accountId: string;
const dbFile = join(tmp.dir, 'switchboard.db');

before(async () => {
  store = createSqliteStore({ dataDir: tmp.dir });
  await store.migrate();
  accountId = (await store.createAccount({ name: 'vault', maxInstances: 100 })).id;
});
after(async () => {
  await store.close();
  tmp.remove();
});

async function instance(): Promise<string> {
  const id = randomBytes(6).toString('hex');
  await store.createInstance({
    id,
    accountId,
    name: id,
    config: { expectedPhone: null, signature: null },
    status: 'STOPPED',
    reason: 'created',
  });
  return id;
}

/** The database as it sits on disk: main file and write-ahead log. */
function diskBytes(): Buffer {
  return Buffer.concat([dbFile, `${dbFile}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

describe('AuthVault', () => {
  test('round-trips values; null deletes; clear empties the instance', async () => {
    const vault = new AuthVault(store, await instance(), randomBytes(32));
    assert.deepEqual(await vault.get('creds', ['creds']), {});
    await vault.set([
      { type: 'creds', id: 'creds', value: '{"me":{"id":"1@s.whatsapp.net"}}' },
      { type: 'pre-key', id: '1', value: 'ünïcødé ✓' },
      { type: 'pre-key', id: '2', value: '' },
    ]);
    assert.deepEqual(await vault.get('pre-key', ['1', '2', '3']), { 1: 'ünïcødé ✓', 2: '' });
    await vault.set([{ type: 'pre-key', id: '1', value: null }]);
    assert.deepEqual(await vault.get('pre-key', ['1', '2']), { 2: '' });
    await vault.clear();
    assert.deepEqual(await vault.get('creds', ['creds']), {});
  });

  test('values never reach the database file in plaintext', async () => {
    const instanceId = await instance();
    const secret = `SECRET-${randomBytes(8).toString('hex')}`;
    await new AuthVault(store, instanceId, randomBytes(32)).set([{ type: 'creds', id: 'creds', value: secret }]);
    assert.ok(!diskBytes().includes(Buffer.from(secret)), 'secret found on disk');
    // Control: the same scan does find a value written without the vault, so the check above means something.
    const marker = `PLAIN-${randomBytes(8).toString('hex')}`;
    await store.writeAuth(instanceId, [{ type: 'plain', id: 'x', value: Buffer.from(marker) }]);
    assert.ok(diskBytes().includes(Buffer.from(marker)), 'the scan sees plaintext writes');
  });

  test('stored as iv ‖ tag ‖ ciphertext, a fresh IV each time', async () => {
    const instanceId = await instance();
    const vault = new AuthVault(store, instanceId, randomBytes(32));
    await vault.set([{ type: 't', id: 'a', value: 'same' }]);
    const first = (await store.readAuth(instanceId, 't', ['a'])).get('a')!;
    await vault.set([{ type: 't', id: 'a', value: 'same' }]);
    const second = (await store.readAuth(instanceId, 't', ['a'])).get('a')!;
    assert.equal(first.length, 12 + 16 + Buffer.byteLength('same'));
    assert.notDeepEqual(first.subarray(0, 12), second.subarray(0, 12));
  });

  test('a wrong master key fails loudly instead of returning garbage', async () => {
    const instanceId = await instance();
    await new AuthVault(store, instanceId, randomBytes(32)).set([{ type: 'creds', id: 'creds', value: 'x' }]);
    const wrong = new AuthVault(store, instanceId, randomBytes(32));
    await assert.rejects(wrong.get('creds', ['creds']), (err: unknown) => {
      assert.ok(err instanceof AuthDecryptError);
      assert.match(err.message, /SWITCHBOARD_MASTER_KEY/);
      return true;
    });
  });

  test('tampered or truncated values are refused', async () => {
    const instanceId = await instance();
    const vault = new AuthVault(store, instanceId, randomBytes(32));
    await vault.set([{ type: 't', id: 'a', value: 'hello world' }]);
    const sealed = (await store.readAuth(instanceId, 't', ['a'])).get('a')!;
    for (const position of [0, 12, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[position]! ^= 0x01;
      await store.writeAuth(instanceId, [{ type: 't', id: 'a', value: tampered }]);
      await assert.rejects(vault.get('t', ['a']), AuthDecryptError, `byte ${position}`);
    }
    await store.writeAuth(instanceId, [{ type: 't', id: 'a', value: sealed.subarray(0, 20) }]);
    await assert.rejects(vault.get('t', ['a']), AuthDecryptError);
  });

  test('a value moved to another key or instance does not open', async () => {
    const key = randomBytes(32);
    const source = await instance();
    const target = await instance();
    await new AuthVault(store, source, key).set([{ type: 'session', id: 'alice', value: 'alice-session' }]);
    const sealed = (await store.readAuth(source, 'session', ['alice'])).get('alice')!;
    await store.writeAuth(source, [{ type: 'session', id: 'mallory', value: sealed }]);
    await store.writeAuth(target, [{ type: 'session', id: 'alice', value: sealed }]);
    await assert.rejects(new AuthVault(store, source, key).get('session', ['mallory']), AuthDecryptError);
    await assert.rejects(new AuthVault(store, target, key).get('session', ['alice']), AuthDecryptError);
  });

  test('each set batch is exactly one writeAuth call', async () => {
    const instanceId = await instance();
    const calls: number[] = [];
    const counting = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'writeAuth') {
          return (id: string, writes: unknown[]) => {
            calls.push(writes.length);
            return target.writeAuth(id, writes as never);
          };
        }
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const vault = new AuthVault(counting, instanceId, randomBytes(32));
    await vault.set(Array.from({ length: 50 }, (_, i) => ({ type: 'pre-key', id: String(i), value: `k${i}` })));
    assert.deepEqual(calls, [50]);
  });

  test('refuses a master key of the wrong size', () => {
    assert.throws(() => new AuthVault(store, 'x', randomBytes(16)), /32 bytes/);
  });
});

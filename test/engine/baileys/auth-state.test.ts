import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { initAuthCreds, proto } from 'baileys';
import { CREDS_ID, CREDS_TYPE, encodeValue, loadAuthState, readCreds } from '../../../src/engine/baileys/auth-state.ts';
import { createBaileysEngine } from '../../../src/engine/baileys/index.ts';
import { MemoryAuth } from './fixtures/memory-auth.ts';

const logger = pino({ level: 'silent' });

test('fresh auth state: creds created, saved at once, and survive a reload with their Buffers', async () => {
  const auth = new MemoryAuth();
  const a = await loadAuthState(auth, logger);
  assert.equal(a.resetHalfPaired, false);
  assert.ok(auth.raw(CREDS_TYPE, CREDS_ID), 'creds saved under creds/creds');
  const again = await readCreds(auth);
  assert.ok(Buffer.isBuffer(again?.noiseKey.public));
  assert.deepEqual(Buffer.from(again!.noiseKey.public), Buffer.from(a.state.creds.noiseKey.public));
  const b = await loadAuthState(auth, logger);
  assert.equal(b.state.creds.advSecretKey, a.state.creds.advSecretKey, 'the second load reuses the stored creds');
});

test('creds saves keep the latest state, in order', async () => {
  const auth = new MemoryAuth();
  const a = await loadAuthState(auth, logger);
  a.state.creds.me = { id: '201012345678:1@s.whatsapp.net', name: 'First' };
  void a.saveCreds();
  a.state.creds.me = { id: '201012345678:1@s.whatsapp.net', name: 'Second' };
  await a.saveCreds();
  assert.equal((await readCreds(auth))?.me?.name, 'Second');
});

test('one keys.set batch is one atomic auth.set call; null deletes', async () => {
  const auth = new MemoryAuth();
  const a = await loadAuthState(auth, logger);
  const before = auth.batches.length;
  await a.state.keys.set({
    session: { 'x_1.0': Buffer.from([1, 2, 3]) },
    'sender-key': { g1: Buffer.from([4]) },
    'pre-key': { '1': { private: Buffer.alloc(32, 1), public: Buffer.alloc(32, 2) } },
  });
  assert.equal(auth.batches.length, before + 1);
  assert.deepEqual(new Set(auth.batches.at(-1)!.map((w) => w.type)), new Set(['session', 'sender-key', 'pre-key']));

  // Read through a fresh state (no cache) to prove what was stored.
  const b = await loadAuthState(auth, logger);
  const got = await b.state.keys.get('pre-key', ['1', '2']);
  assert.deepEqual(Object.keys(got), ['1']);
  assert.deepEqual(Buffer.from(got['1']!.public), Buffer.alloc(32, 2));

  await b.state.keys.set({ session: { 'x_1.0': null } });
  assert.equal(auth.raw('session', 'x_1.0'), undefined);
  assert.deepEqual(auth.batches.at(-1), [{ type: 'session', id: 'x_1.0', value: null }]);
});

test('app-state sync keys come back as protobuf objects', async () => {
  const auth = new MemoryAuth();
  const keyData = proto.Message.AppStateSyncKeyData.fromObject({ keyData: Buffer.alloc(32, 9), timestamp: 5 });
  await auth.set([{ type: 'app-state-sync-key', id: 'AAAA', value: encodeValue(keyData) }]);
  const a = await loadAuthState(auth, logger);
  const got = await a.state.keys.get('app-state-sync-key', ['AAAA']);
  assert.ok(got.AAAA instanceof proto.Message.AppStateSyncKeyData);
  assert.deepEqual(Buffer.from(got.AAAA!.keyData!), Buffer.alloc(32, 9));
});

test('a sealed state writes nothing; wipe clears after pending writes', async () => {
  const auth = new MemoryAuth();
  const a = await loadAuthState(auth, logger);
  a.seal();
  const n = auth.batches.length;
  await a.saveCreds();
  await a.state.keys.set({ session: { s: Buffer.from([1]) } });
  assert.equal(auth.batches.length, n);

  const b = await loadAuthState(auth, logger);
  void b.state.keys.set({ session: { s: Buffer.from([1]) } });
  await b.wipe();
  assert.equal(auth.data.size, 0);
  await b.saveCreds();
  assert.equal(auth.data.size, 0, 'nothing written after a wipe');
});

test('half-paired creds (failed pairing code) are wiped on load and are not linked', async () => {
  const auth = new MemoryAuth();
  const half = initAuthCreds();
  half.me = { id: '201012345678@s.whatsapp.net', name: '~' };
  half.pairingCode = 'ABCD1234';
  await auth.set([
    { type: CREDS_TYPE, id: CREDS_ID, value: encodeValue(half) },
    { type: 'pre-key', id: '1', value: encodeValue({ private: Buffer.alloc(32), public: Buffer.alloc(32) }) },
  ]);
  const engine = createBaileysEngine({ logger });
  assert.equal(await engine.isLinked(auth), false);

  const a = await loadAuthState(auth, logger);
  assert.equal(a.resetHalfPaired, true);
  assert.equal(a.state.creds.me, undefined);
  assert.notEqual(a.state.creds.advSecretKey, half.advSecretKey);
  assert.deepEqual([...auth.types()], ['creds'], 'everything of the failed attempt is gone');
});

test('isLinked: only a completed pairing counts', async () => {
  const engine = createBaileysEngine({ logger });
  const empty = new MemoryAuth();
  assert.equal(await engine.isLinked(empty), false);

  const fresh = new MemoryAuth();
  await fresh.set([{ type: CREDS_TYPE, id: CREDS_ID, value: encodeValue(initAuthCreds()) }]);
  assert.equal(await engine.isLinked(fresh), false);

  const linked = initAuthCreds();
  linked.me = { id: '201012345678:1@s.whatsapp.net', lid: '1234:1@lid' };
  linked.account = proto.ADVSignedDeviceIdentity.fromObject({
    details: Buffer.from([1]),
    accountSignatureKey: Buffer.alloc(32),
  });
  const paired = new MemoryAuth();
  await paired.set([{ type: CREDS_TYPE, id: CREDS_ID, value: encodeValue(linked) }]);
  assert.equal(await engine.isLinked(paired), true);
});

test('pre-keys are not held in the key cache: read from the store every time; other keys are cached', async () => {
  const auth = new MemoryAuth();
  const a = await loadAuthState(auth, logger);
  await a.state.keys.set({
    session: { 'x_1.0': Buffer.from([1]) },
    'pre-key': { '7': { private: Buffer.alloc(32, 1), public: Buffer.alloc(32, 2) } },
  });
  // Changed behind the cache's back: a cached key keeps its cached value, a pre-key shows the store's.
  await auth.set([
    { type: 'session', id: 'x_1.0', value: encodeValue(Buffer.from([9])) },
    { type: 'pre-key', id: '7', value: null },
  ]);
  assert.deepEqual(Buffer.from((await a.state.keys.get('session', ['x_1.0']))['x_1.0']!), Buffer.from([1]));
  assert.deepEqual(await a.state.keys.get('pre-key', ['7']), {});
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignalKeyCache } from '../../../src/engine/baileys/signal-key-cache.ts';

test('signal key cache: keeps values (null included) but never one-time pre-keys', () => {
  const cache = new SignalKeyCache();
  cache.set('session.a', Buffer.from([1]));
  cache.set('sender-key.g', null);
  cache.set('pre-key.1', { private: Buffer.alloc(32), public: Buffer.alloc(32) });
  assert.deepEqual(cache.get('session.a'), Buffer.from([1]));
  assert.equal(cache.get('sender-key.g'), null);
  assert.equal(cache.get('pre-key.1'), undefined);
  assert.equal(cache.size, 2);
  cache.del('session.a');
  assert.equal(cache.get('session.a'), undefined);
  cache.flushAll();
  assert.equal(cache.size, 0);
});

test('signal key cache: an expired entry is a miss and is dropped', () => {
  const cache = new SignalKeyCache(-1); // every entry is already expired when set
  cache.set('session.a', Buffer.from([1]));
  assert.equal(cache.get('session.a'), undefined);
  assert.equal(cache.size, 0);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdentityCache, meEntry, strongEtag } from '../../src/identity/index.ts';
import { phoneMismatch } from '../../src/sessions/index.ts';
import { meBody } from '../../src/identity/index.ts';
import { normalizePlatform, toCUsJid } from '../../src/identity/index.ts';
import type { IdentityRecord } from '../../src/domain/index.ts';
import { JOHN_DOE, ME_KEY_ORDER } from '../fixtures/identity.ts';

/** The pure parts of /me: body, display-name fallbacks, platform names, the cache's keep/replace/drop rules. */

const RECORD: IdentityRecord = JOHN_DOE;

test('body: Wawp keys first, in order, then extensions; id in @c.us form', () => {
  const body = meBody(RECORD, 'live');
  assert.deepEqual(Object.keys(body), ME_KEY_ORDER);
  assert.deepEqual(Object.keys(body.me), ['id', 'name']);
  assert.equal(body.id, '201012345678@c.us');
  assert.equal(body.me.id, body.id);
  assert.equal(body.me.name, 'John Doe');
});

test('displayName: pushName, else business name, else +digits; never null, never "null"', () => {
  const cases: Array<[Partial<IdentityRecord>, string | null, string]> = [
    [{ pushName: 'John Doe' }, 'John Doe', 'John Doe'],
    [{ pushName: null, businessName: 'Acme Ltd' }, 'Acme Ltd', 'Acme Ltd'],
    [{ pushName: 'Owner', businessName: 'Acme Ltd' }, 'Owner', 'Owner'],
    [{ pushName: null, businessName: null }, null, '+201012345678'],
  ];
  for (const [patch, pushName, displayName] of cases) {
    const entry = meEntry({ ...RECORD, ...patch });
    assert.equal(entry.body.pushName, pushName);
    assert.equal(entry.body.me.name, pushName);
    assert.equal(entry.body.displayName, displayName);
    assert.ok(!entry.json.includes('"null"'), entry.json);
  }
});

test('platform: normalized name and the raw value side by side', () => {
  const cases: Array<[string | null, string]> = [
    ['android', 'android'],
    ['smba', 'android'],
    ['iphone', 'ios'],
    ['ios', 'ios'],
    ['smbi', 'ios'],
    ['ipad', 'ios'],
    ['web', 'web'],
    ['windows', 'web'],
    ['macos', 'web'],
    ['IPHONE', 'ios'],
    ['kaios', 'unknown'],
    ['', 'unknown'],
    [null, 'unknown'],
  ];
  for (const [raw, normalized] of cases) {
    assert.equal(normalizePlatform(raw), normalized, String(raw));
    const body = meEntry({ ...RECORD, platform: raw }).body;
    assert.equal(body.platform, normalized);
    assert.equal(body.platformRaw, raw);
  }
});

test('@c.us form drops the device suffix and the server', () => {
  assert.equal(toCUsJid('201012345678:3@s.whatsapp.net'), '201012345678@c.us');
  assert.equal(toCUsJid('201012345678@s.whatsapp.net'), '201012345678@c.us');
  assert.equal(meEntry({ ...RECORD, phoneJid: '201012345678:7@s.whatsapp.net' }).body.id, '201012345678@c.us');
});

test('entry: JSON and a strong ETag over exactly those bytes, computed once', () => {
  const entry = meEntry(RECORD);
  assert.equal(entry.json, JSON.stringify(meBody(RECORD, 'live')));
  assert.equal(entry.etag, strongEtag(entry.json));
  assert.match(entry.etag, /^"[^"]+"$/);
  assert.ok(Object.isFrozen(entry));
  assert.notEqual(meEntry({ ...RECORD, pushName: 'Jane' }).etag, entry.etag);
});

test('cache: kept only while WORKING; a re-report keeps the entry, a change replaces it', () => {
  const cache = new IdentityCache();
  cache.sync('i1', 'WORKING', RECORD);
  const first = cache.get('i1')!;
  assert.equal(first.body.pushName, 'John Doe');

  // Same public identity seen again (only lastSeenAt moved): same entry, same ETag.
  cache.sync('i1', 'WORKING', { ...RECORD, lastSeenAt: '2026-11-26T11:00:00.000Z' });
  assert.equal(cache.get('i1'), first);

  for (const patch of [{ pushName: 'Jane' }, { lid: '999@lid' }, { businessName: 'Acme' }, { platform: 'smba' }]) {
    const before = cache.get('i1')!;
    cache.sync('i1', 'WORKING', { ...RECORD, ...patch });
    assert.notEqual(cache.get('i1'), before, JSON.stringify(patch));
    assert.notEqual(cache.get('i1')!.etag, before.etag);
  }

  for (const status of ['STOPPED', 'STARTING', 'SCAN_QR_CODE', 'FAILED'] as const) {
    cache.sync('i1', 'WORKING', RECORD);
    cache.sync('i1', status, RECORD); // still knows who it was: not live, so not served
    assert.equal(cache.get('i1'), undefined, status);
  }
  cache.sync('i1', 'WORKING', null);
  assert.equal(cache.get('i1'), undefined);

  cache.sync('i1', 'WORKING', RECORD);
  cache.sync('i2', 'WORKING', RECORD);
  cache.drop('i1');
  assert.equal(cache.get('i1'), undefined);
  assert.equal(cache.size, 1);
  cache.clear();
  assert.equal(cache.size, 0);
});

test('expected_phone: digits compared exactly, nothing guessed', () => {
  assert.equal(phoneMismatch(null, '201012345678'), null);
  assert.equal(phoneMismatch('', '201012345678'), null);
  assert.equal(phoneMismatch('201012345678', '201012345678'), null);
  assert.equal(phoneMismatch('+20 101-234.5678', '201012345678'), null);
  assert.equal(phoneMismatch('(20) 1012345678', '201012345678'), null);
  // International prefix and trunk zero are NOT stripped: the number must carry its country code as WhatsApp has it.
  assert.deepEqual(phoneMismatch('00201012345678', '201012345678'), {
    expected: '00201012345678',
    actual: '201012345678',
  });
  assert.deepEqual(phoneMismatch('01012345678', '201012345678'), { expected: '01012345678', actual: '201012345678' });
  assert.deepEqual(phoneMismatch('201099999999', '201012345678'), { expected: '201099999999', actual: '201012345678' });
});

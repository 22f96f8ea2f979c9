import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initAuthCreds, proto, type AuthenticationCreds } from 'baileys';
import {
  cleanName,
  formatPairingCode,
  identityFromCreds,
  lidWithoutDevice,
  normalizePhone,
  phoneFromJid,
} from '../../../src/engine/baileys/baileys-identity.ts';

function linked(me: AuthenticationCreds['me'], platform?: string): AuthenticationCreds {
  const creds = initAuthCreds();
  creds.me = me;
  creds.account = proto.ADVSignedDeviceIdentity.fromObject({ details: Buffer.from([1]) });
  if (platform) creds.platform = platform;
  return creds;
}

test('identity of a personal android account', () => {
  const id = identityFromCreds(
    linked({ id: '201012345678:1@s.whatsapp.net', lid: '123456789012345:1@lid', name: 'John Doe' }, 'android'),
  );
  assert.deepEqual(id, {
    deviceJid: '201012345678:1@s.whatsapp.net',
    phone: '201012345678',
    lid: '123456789012345@lid',
    pushName: 'John Doe',
    businessName: null,
    platform: 'android',
  });
});

test('identity of a business account carries the business name', () => {
  for (const platform of ['smba', 'smbi']) {
    const id = identityFromCreds(linked({ id: '201099990000:3@s.whatsapp.net', name: 'Acme' }, platform));
    assert.equal(id?.businessName, 'Acme');
    assert.equal(id?.pushName, 'Acme');
    assert.equal(id?.lid, null);
    assert.equal(id?.platform, platform);
  }
});

test('identity treats the "~" placeholder and missing names as null', () => {
  assert.equal(identityFromCreds(linked({ id: '201012345678:1@s.whatsapp.net', name: '~' }, 'iphone'))?.pushName, null);
  assert.equal(identityFromCreds(linked({ id: '201012345678:1@s.whatsapp.net' }))?.pushName, null);
  assert.equal(identityFromCreds(linked({ id: '201012345678:1@s.whatsapp.net' }))?.platform, null);
});

test('no identity without a completed pairing', () => {
  const fresh = initAuthCreds();
  assert.equal(identityFromCreds(fresh), null);
  // What a pairing-code attempt leaves behind (13.6): me set, no account.
  fresh.me = { id: '201012345678@s.whatsapp.net', name: '~' };
  assert.equal(identityFromCreds(fresh), null);
  assert.equal(identityFromCreds(null), null);
});

test('jid helpers', () => {
  assert.equal(phoneFromJid('201012345678:12@s.whatsapp.net'), '201012345678');
  assert.equal(phoneFromJid('201012345678@s.whatsapp.net'), '201012345678');
  assert.equal(lidWithoutDevice('123:1@lid'), '123@lid');
  assert.equal(lidWithoutDevice('123@lid'), '123@lid');
  assert.equal(lidWithoutDevice(undefined), null);
  assert.equal(lidWithoutDevice(''), null);
  assert.equal(cleanName('  Jane '), 'Jane');
  assert.equal(cleanName(''), null);
});

test('phone normalisation and pairing code format', () => {
  assert.equal(normalizePhone('+20 101-234-5678'), '201012345678');
  assert.throws(() => normalizePhone('20abc'), RangeError);
  assert.throws(() => normalizePhone('12'), RangeError);
  assert.equal(formatPairingCode('ABCD1234'), 'ABCD-1234');
  assert.equal(formatPairingCode('abcd1234'), 'ABCD-1234');
  assert.throws(() => formatPairingCode('ABC'));
});

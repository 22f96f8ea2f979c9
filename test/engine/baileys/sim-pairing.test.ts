import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Simulator } from '../../../sim/index.ts';
import { endAll, engineFor, enterCodeSoon, eventually, newPhone, Recorder, startSim } from './fixtures/harness.ts';
import { openVaultFixture, type VaultFixture } from './fixtures/vault.ts';

// Pairing flows against the local simulator, with the auth state in the storage helper's encrypted AuthVault (SQLite).

let sim: Simulator;
let vaults: VaultFixture;

before(async () => {
  sim = await startSim();
  vaults = await openVaultFixture();
});
after(async () => {
  await endAll();
  await sim?.stop();
  await vaults?.close();
});

test('QR → scan → open with the identity from live creds; end(); start again logs in without a QR', async () => {
  const engine = engineFor(sim);
  const { instanceId, auth } = await vaults.vault();
  const phone = newPhone();
  assert.equal(await engine.isLinked(auth), false);

  const s1 = engine.start({ instanceId, auth });
  const r1 = new Recorder(s1);
  const qr = await r1.next('qr');
  assert.match(qr.value, /^https:\/\/wa\.me\/settings\/linked_devices#[^,]+,[^,]+,[^,]+,[^,]+,\d+$/);
  assert.ok(qr.expiry > Date.now() + 50_000 && qr.expiry <= Date.now() + 60_000, 'first ref lives 60 s by default');
  assert.equal(s1.identity(), null);

  const linked = await sim.scan({ qr: qr.value, phone, pushName: 'John Doe', platform: 'android' });
  const id = await r1.next('open');
  assert.equal(id.phone, phone);
  assert.equal(id.deviceJid, linked.jid);
  assert.match(id.deviceJid, new RegExp(`^${phone}:\\d+@s\\.whatsapp\\.net$`));
  assert.equal(id.lid, linked.lid.replace(/:\d+@/, '@'));
  assert.match(id.lid ?? '', /^\d+@lid$/);
  assert.equal(id.platform, 'android');
  assert.equal(id.businessName, null);
  assert.deepEqual(s1.identity(), r1.events.find((e) => e.name === 'open')?.value ?? null);
  assert.equal(await engine.isLinked(auth), true);

  // A personal account's name arrives after open (docs/whatsapp-protocol.md §7): one `identity` event with it.
  const renamed = await r1.next('identity', 25_000, (v) => v.pushName === 'John Doe');
  assert.equal(renamed.deviceJid, id.deviceJid);
  assert.equal(s1.identity()?.pushName, 'John Doe');

  await s1.end();
  await s1.end(); // idempotent
  assert.deepEqual(
    r1.names().filter((n) => n !== 'qr'),
    ['open', 'identity', 'close'],
  );
  assert.deepEqual(r1.all('close')[0], { reason: 'stopped', transient: false, message: 'stopped on request' });
  await eventually(
    () => sim.listPhones().find((p) => p.phone === phone)?.devices[0]?.connected === false,
    5_000,
    'sim sees the device offline',
  );

  const s2 = engine.start({ instanceId, auth });
  const r2 = new Recorder(s2);
  const id2 = await r2.next('open');
  assert.equal(r2.count('qr'), 0, 'saved credentials log straight in');
  assert.deepEqual(id2, { ...id, pushName: 'John Doe' });
  await s2.end();
  assert.equal(r2.count('close'), 1);
  assert.equal(await engine.isLinked(auth), true, 'end() keeps the credentials');
});

test('business account (smba): business name and platform from pair-success', async () => {
  const engine = engineFor(sim);
  const { instanceId, auth } = await vaults.vault();
  const phone = newPhone();
  const s = engine.start({ instanceId, auth });
  const r = new Recorder(s);
  const qr = await r.next('qr');
  await sim.scan({ qr: qr.value, phone, pushName: 'Acme', platform: 'smba', businessName: 'Acme Trading' });
  const id = await r.next('open');
  assert.equal(id.platform, 'smba');
  assert.equal(id.businessName, 'Acme Trading');
  assert.equal(id.pushName, 'Acme Trading');
  assert.equal(id.phone, phone);
  await s.end();
});

test('pairing code: requested right after start (waits for the registration stage) → enterCode → open', async () => {
  const engine = engineFor(sim);
  const { instanceId, auth } = await vaults.vault();
  const phone = newPhone();
  const s = engine.start({ instanceId, auth });
  const r = new Recorder(s);
  // Called before any QR: the engine must wait for the registration stage, not send a login payload (13.1).
  const code = await s.requestPairingCode(`+${phone}`);
  assert.match(code, /^[1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}$/);
  assert.ok(r.count('qr') >= 1);
  const linked = await enterCodeSoon(sim, { phone, code, pushName: 'Code User', platform: 'iphone' });
  const id = await r.next('open', 15_000);
  assert.equal(id.deviceJid, linked.jid);
  assert.equal(id.platform, 'iphone');
  assert.equal(id.pushName === null || id.pushName === 'Code User', true, '"~" placeholder never leaks out');
  assert.equal(await engine.isLinked(auth), true);
  await assert.rejects(s.requestPairingCode(phone), /already linked/);
  await s.end();
  assert.equal(await engine.isLinked(auth), true);
});

test('pairing code never confirmed (wrong code) → pairing_failed, half-paired creds wiped, next start shows a QR', async () => {
  const engine = engineFor(sim, { pairingCodeTimeoutMs: 1_500 });
  const { instanceId, auth } = await vaults.vault();
  const phone = newPhone();
  const s = engine.start({ instanceId, auth });
  const r = new Recorder(s);
  await r.next('qr');
  const code = await s.requestPairingCode(phone);
  const wrong = code.startsWith('A') ? `B${code.slice(1)}` : `A${code.slice(1)}`;
  await assert.rejects(enterCodeSoon(sim, { phone, code: wrong }), /code_mismatch|match/);
  const close = await r.next('close', 5_000);
  assert.equal(close.reason, 'pairing_failed');
  assert.equal(close.transient, true);
  assert.equal(r.count('open'), 0);
  assert.equal(await engine.isLinked(auth), false);
  assert.deepEqual(await auth.get('creds', ['creds']), {}, 'the failed attempt left nothing behind');
  await assert.rejects(s.requestPairingCode(phone), /closed/);

  const s2 = engine.start({ instanceId, auth });
  const r2 = new Recorder(s2);
  const qr = await r2.next('qr');
  await sim.scan({ qr: qr.value, phone, pushName: 'Second Try', platform: 'android' });
  assert.equal((await r2.next('open')).phone, phone);
  await s2.end();
});

test('requestPairingCode rejects bad numbers and a session that ended', async () => {
  const engine = engineFor(sim);
  const { instanceId, auth } = await vaults.vault();
  const s = engine.start({ instanceId, auth });
  const r = new Recorder(s);
  await r.next('qr');
  await assert.rejects(s.requestPairingCode('20-abc'), RangeError);
  await s.end();
  await assert.rejects(s.requestPairingCode(newPhone()), /closed/);
  assert.deepEqual(
    r.names().filter((n) => n !== 'qr'),
    ['close'],
  );
});

test('logout(): device removed on the phone, auth cleared, close logged_out, nothing after', async () => {
  const engine = engineFor(sim);
  const { instanceId, auth } = await vaults.vault();
  const phone = newPhone();
  const s = engine.start({ instanceId, auth });
  const r = new Recorder(s);
  await sim.scan({ qr: (await r.next('qr')).value, phone, pushName: 'Leaver', platform: 'android' });
  await r.next('open');
  assert.equal(sim.listPhones().find((p) => p.phone === phone)?.devices.length, 1);

  await s.logout();
  const close = r.all('close');
  assert.equal(close.length, 1);
  assert.equal(close[0]!.reason, 'logged_out');
  assert.equal(s.identity(), null);
  assert.equal(await engine.isLinked(auth), false);
  assert.equal((await vaults.store.readAuth(instanceId, 'creds', ['creds'])).size, 0, 'nothing left in the store');
  await eventually(
    () => (sim.listPhones().find((p) => p.phone === phone)?.devices.length ?? 0) === 0,
    5_000,
    'device removed on the phone',
  );

  const n = r.events.length;
  await s.end();
  await s.logout(); // after close: just clears again
  assert.equal(r.events.length, n, 'no events after close');
});

test('logout() while showing a QR just clears and closes logged_out', async () => {
  const engine = engineFor(sim);
  const { instanceId, auth } = await vaults.vault();
  const s = engine.start({ instanceId, auth });
  const r = new Recorder(s);
  await r.next('qr');
  await s.logout();
  assert.deepEqual(
    r.names().filter((n) => n !== 'qr'),
    ['close'],
  );
  assert.equal(r.all('close')[0]!.reason, 'logged_out');
  assert.equal((await vaults.store.readAuth(instanceId, 'creds', ['creds'])).size, 0);
});

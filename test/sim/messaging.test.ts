import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimError } from '../../sim/index.ts';
import { criticalVersion, record, until, VERIFY, within, withSim } from './helpers.ts';

const PHONE = '201012345678';
const CONTACT = '201099990001';
test('personal account: push name through app-state sync, then texts both ways, rename, relogin with offline delivery', async () => {
  await withSim(async ({ sim, auth, connect, pair }) => {
    const a = await auth();
    const { client } = await pair(a, { phone: PHONE, pushName: 'John Doe', platform: 'android' }, VERIFY);
    let rec = record(client);
    const opened = Date.now();

    // 14.5: key share → INITIAL_BOOTSTRAP → the client resyncs and critical_block/setting_pushName sets me.name.
    await until(() => a.state.creds.me?.name === 'John Doe', 5_000, 'me.name from app-state');
    assert.equal(await criticalVersion(a), 1, 'the name came as a verified v1 patch');
    assert.ok(a.state.creds.myAppStateKeyId, 'the phone shared its app-state key');
    assert.equal(a.state.creds.accountSyncCounter, 1, 'initial sync completed (no 20 s timeout)');

    // Contact → companion: a pkmsg with notify and sender_lid; the event buffer is already flushed.
    const first = await sim.sendText({ from: CONTACT, to: PHONE, text: 'hello from Alice', name: 'Alice' });
    const got = await until(() => rec.textFrom(first.id), 5_000, 'contact text upsert');
    assert.ok(Date.now() - opened < 15_000, 'well before the 20 s initial-sync buffer would flush');
    assert.equal(got.type, 'notify');
    assert.equal(got.msg.message?.conversation, 'hello from Alice');
    assert.equal(got.msg.pushName, 'Alice');
    assert.equal(got.msg.key.fromMe, false);
    assert.equal(got.msg.key.remoteJid, `${CONTACT}@s.whatsapp.net`);
    assert.match(got.msg.key.remoteJidAlt ?? '', /^\d+@lid$/);
    assert.equal(Number(got.msg.messageTimestamp), first.timestamp);
    assert.equal(rec.encTypes.get(first.id), 'pkmsg');

    // Companion → contact: the contact decrypts it; delivery and read come back.
    const sent = await client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { text: 'hi Alice' });
    const sentId = sent!.key.id!;
    await until(() => sim.receivedMessages(CONTACT).length === 1, 5_000, 'contact received');
    const [r] = sim.receivedMessages(CONTACT);
    assert.deepEqual({ id: r.id, from: r.from, text: r.text }, { id: sentId, from: PHONE, text: 'hi Alice' });
    await until(() => rec.status(sentId) === 4, 5_000, 'READ');
    assert.ok(
      rec.updates.some((u) => u.key.id === sentId && u.update.status === 4),
      'READ arrives as a messages.update',
    );

    // The contact has now heard from the companion, so its next text is a plain `msg`.
    const second = await sim.sendText({ from: CONTACT, to: PHONE, text: 'second' });
    assert.equal(
      (await until(() => rec.textFrom(second.id), 5_000, 'second text')).msg.message?.conversation,
      'second',
    );
    assert.equal(rec.encTypes.get(second.id), 'msg');

    // Rename on the phone: a v2 patch announced by server_sync.
    assert.deepEqual(await sim.setPushName(PHONE, 'John Renamed'), { notified: 1 });
    await until(() => a.state.creds.me?.name === 'John Renamed', 5_000, 'renamed');
    assert.equal(await criticalVersion(a), 2);

    // Offline: a text and a rename wait for the next login.
    client.end();
    await within(client.closed, 3_000, 'end');
    const queued = await sim.sendText({ from: CONTACT, to: PHONE, text: 'while you were away' });
    assert.deepEqual(await sim.setPushName(PHONE, 'John Away'), { notified: 0 });

    const again = connect(sim, a, VERIFY);
    rec = record(again);
    await within(again.opened, 5_000, 'relogin');
    const offline = await until(() => rec.textFrom(queued.id), 5_000, 'queued text after relogin');
    assert.equal(offline.msg.message?.conversation, 'while you were away');
    assert.equal(offline.type, 'append', 'offline delivery, as WhatsApp marks it');
    await until(() => a.state.creds.me?.name === 'John Away', 5_000, 'rename caught up at login');
    assert.equal(await criticalVersion(a), 3);

    // And both ways again on the new socket (fresh sessions: the client re-fetches keys after usync).
    const sent2 = await again.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { text: 'back again' });
    await until(
      () => sim.receivedMessages(CONTACT).some((m) => m.id === sent2!.key.id && m.text === 'back again'),
      5_000,
      'second send',
    );
    const third = await sim.sendText({ from: CONTACT, to: PHONE, text: 'welcome back' });
    assert.equal(
      (await until(() => rec.textFrom(third.id), 5_000, 'third text')).msg.message?.conversation,
      'welcome back',
    );
    assert.equal(again.updates.filter((u) => u.connection === 'close').length, 0);
  });
});

test('a new contact number works without a prior session (usync gives LIDs, key fetch by LID)', async () => {
  await withSim(async ({ sim, auth, pair }) => {
    const a = await auth();
    const { client } = await pair(a, { phone: PHONE, pushName: 'John Doe' }, VERIFY);
    const rec = record(client);
    const to = '447700900123';
    const sent = await client.sock.sendMessage(`${to}@s.whatsapp.net`, { text: 'first contact' });
    await until(() => sim.receivedMessages(to).length, 5_000, 'received by a brand-new contact');
    assert.equal(sim.receivedMessages(to)[0].text, 'first contact');
    await until(() => rec.status(sent!.key.id!) === 4, 5_000, 'READ');
  });
});

test('sendText and setPushName validate their input', async () => {
  await withSim(async ({ sim }) => {
    const is = (code: string) => (e: unknown) => e instanceof SimError && e.code === code;
    await assert.rejects(sim.sendText({ from: CONTACT, to: PHONE, text: 'x' }), is('unknown_account'));
    await assert.rejects(sim.sendText({ from: '12', to: PHONE, text: 'x' }), is('invalid_phone'));
    await assert.rejects(sim.sendText({ from: CONTACT, to: PHONE, text: '' }), is('invalid_text'));
    await assert.rejects(sim.setPushName(PHONE, ' '), is('invalid_name'));
    assert.deepEqual(sim.receivedMessages(CONTACT), []);
  });
});

/**
 * What a simulated number observes besides texts (typing, online/offline, read receipts), as bare Baileys sends it;
 * and the control surface's devices list and reset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { record, until, VERIFY, within, withSim } from './helpers.ts';

const PHONE = '201012345678';
const CONTACT = '201099990001';
const OTHER = '201099990002';

test('activity: chat states, online/offline and read receipts reach the addressed number, oldest first', async () => {
  await withSim(async ({ sim, auth, pair }) => {
    const a = await auth();
    const { client } = await pair(a, { phone: PHONE, pushName: 'John Doe' }, VERIFY);
    const rec = record(client);
    await until(() => a.state.creds.me?.name === 'John Doe', 5_000, 'name (presence needs one)');
    const t1 = await sim.sendText({ from: CONTACT, to: PHONE, text: 'one' });
    const t2 = await sim.sendText({ from: CONTACT, to: PHONE, text: 'two' });
    const m1 = await until(() => rec.textFrom(t1.id), 5_000, 'one');
    const m2 = await until(() => rec.textFrom(t2.id), 5_000, 'two');
    const chat = `${CONTACT}@s.whatsapp.net`;

    await client.sock.sendPresenceUpdate('composing', chat);
    await client.sock.sendPresenceUpdate('paused', chat);
    await client.sock.sendPresenceUpdate('available');
    await client.sock.readMessages([m1.msg.key, m2.msg.key]);
    await client.sock.sendPresenceUpdate('unavailable');
    // The contact's LID addresses the same number.
    await client.sock.sendPresenceUpdate('composing', m1.msg.key.remoteJidAlt!);
    await client.sock.sendPresenceUpdate('composing', `${OTHER}@s.whatsapp.net`);

    const seen = await until(
      () => (sim.activity(CONTACT).length >= 6 ? sim.activity(CONTACT) : undefined),
      5_000,
      'six entries',
    );
    const shape = seen.map((e) =>
      e.kind === 'presence' ? `${e.from} ${e.state}` : `${e.from} ${e.type} ${e.message_ids.join(',')}`,
    );
    assert.deepEqual(shape, [
      `${PHONE} composing`,
      `${PHONE} paused`,
      `${PHONE} available`,
      `${PHONE} read ${t1.id},${t2.id}`,
      `${PHONE} unavailable`,
      `${PHONE} composing`,
    ]);
    for (const e of seen) assert.ok(Math.abs(e.timestamp - Date.now() / 1000) < 60, 'unix seconds');
    // OTHER never chatted with the account: it saw the chat state addressed to it, but no online presence.
    await until(() => sim.activity(OTHER).length === 1, 5_000, 'other number');
    assert.deepEqual(
      sim.activity(OTHER).map((e) => e.kind === 'presence' && e.state),
      ['composing'],
    );
    assert.deepEqual(sim.activity(PHONE), [], 'delivery receipts and peer receipts are not activity');
  });
});

test('HTTP control: devices, activity, reset (connected companions see their device removed)', async () => {
  await withSim(
    async ({ sim, auth, pair }) => {
      const base = sim.url.replace(/^ws:/, 'http:').replace(/\/ws\/chat$/, '');
      const a = await auth();
      const before = Date.now();
      const { client } = await pair(a, { phone: PHONE, pushName: 'John Doe', platform: 'smbi' });
      const devices = await (await fetch(`${base}/phones/${PHONE}/devices`)).json();
      assert.equal(devices.length, 1);
      assert.equal(devices[0].jid, `${PHONE}:1@s.whatsapp.net`);
      assert.equal(devices[0].platform, 'smbi');
      assert.ok(Date.parse(devices[0].linked_at) >= before - 1000 && devices[0].linked_at.endsWith('Z'));
      assert.deepEqual(await (await fetch(`${base}/phones/${OTHER}/devices`)).json(), []);
      assert.equal((await fetch(`${base}/phones/12/devices`)).status, 400);

      await sim.sendText({ from: CONTACT, to: PHONE, text: 'hi' });
      await client.sock.sendPresenceUpdate('composing', `${CONTACT}@s.whatsapp.net`);
      await until(() => sim.activity(CONTACT).length === 1, 5_000, 'activity');
      const act = await (await fetch(`${base}/phones/${CONTACT}/activity`)).json();
      assert.equal(act[0].kind, 'presence');
      assert.equal(act[0].state, 'composing');

      const reset = await fetch(`${base}/reset`, { method: 'POST' });
      assert.equal(reset.status, 204);
      const closed = await within(client.closed, 5_000, 'device removed');
      assert.equal(closed.statusCode, 401);
      assert.deepEqual(sim.listPhones(), []);
      assert.deepEqual(sim.activity(CONTACT), []);
      assert.deepEqual(sim.receivedMessages(CONTACT), []);
      assert.deepEqual(sim.devices(PHONE), []);

      // The network still works after a reset: the same phone links a new companion from scratch.
      const b = await auth();
      const again = await pair(b, { phone: PHONE, pushName: 'Fresh Start' }, VERIFY);
      assert.equal(again.jid, `${PHONE}:1@s.whatsapp.net`);
      await until(() => b.state.creds.me?.name === 'Fresh Start', 5_000, 'name after reset');
    },
    { controlApi: true },
  );
});

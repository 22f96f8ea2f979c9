import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimError } from '../../sim/index.ts';
import { within, withSim } from './helpers.ts';

const PHONE = '201012345678';

test('QR → scan → 515 → new socket with the same auth → open with me.id, lid and platform', async () => {
  await withSim(async ({ sim, auth, connect }) => {
    const a = await auth();
    const first = connect(sim, a);
    const qr = await within(first.qr(), 5_000, 'QR');
    assert.match(qr, /^https:\/\/wa\.me\/settings\/linked_devices#[^,]+,[^,]+,[^,]+,[^,]+,1$/);
    const res = await sim.scan({ qr, phone: PHONE, pushName: null, platform: 'android' });
    assert.equal(res.jid, `${PHONE}:1@s.whatsapp.net`);
    assert.match(res.lid, /^[1-9]\d{14}:1@lid$/);
    const closed = await within(first.closed, 5_000, '515');
    assert.equal(closed.statusCode, 515);
    assert.ok(first.updates.some((u) => u.isNewLogin === true));

    const second = connect(sim, a);
    await within(second.opened, 8_000, 'open');
    assert.equal(a.state.creds.me?.id, `${PHONE}:1@s.whatsapp.net`);
    assert.equal(a.state.creds.me?.lid, res.lid);
    assert.equal(a.state.creds.platform, 'android');
    assert.equal(
      second.updates.some((u) => u.qr),
      false,
      'a logged-in socket shows no QR',
    );
    assert.deepEqual(sim.listPhones(), [
      {
        phone: PHONE,
        push_name: null,
        devices: [{ jid: `${PHONE}:1@s.whatsapp.net`, platform: 'android', connected: true }],
      },
    ]);
  });
});

test('relogin with saved creds goes straight to open (no QR), and a second device gets id 2', async () => {
  await withSim(async ({ sim, auth, connect, pair }) => {
    const a = await auth();
    const { client, lid } = await pair(a, { phone: PHONE });
    client.end();
    await within(client.closed, 3_000, 'end');
    assert.equal(sim.listPhones()[0].devices[0].connected, false);

    const again = connect(sim, a);
    await within(again.opened, 5_000, 'relogin');
    assert.equal(
      again.updates.some((u) => u.qr),
      false,
    );
    assert.equal(a.state.creds.me?.lid, lid);

    const b = await auth();
    const other = await pair(b, { phone: PHONE });
    assert.equal(other.jid, `${PHONE}:2@s.whatsapp.net`);
    assert.equal(other.lid.split(':')[0], lid.split(':')[0], 'the LID user is stable per phone');
    assert.equal(sim.listPhones()[0].devices.length, 2);
  });
});

test('business account: me.name comes from <biz> at pairing (explicit name, or push name on smba)', async () => {
  await withSim(async ({ auth, pair }) => {
    const a = await auth();
    await pair(a, { phone: PHONE, pushName: 'John Doe', platform: 'android', businessName: 'Acme Ltd' });
    assert.equal(a.state.creds.me?.name, 'Acme Ltd');

    const b = await auth();
    await pair(b, { phone: '201099990000', pushName: 'Jane Shop', platform: 'smba' });
    assert.equal(b.state.creds.me?.name, 'Jane Shop');
    assert.equal(b.state.creds.platform, 'smba');
  });
});

test('personal account: the push name reaches me.name after open (app-state sync, even without MAC checks)', async () => {
  await withSim(async ({ auth, pair }) => {
    const a = await auth();
    const { client } = await pair(a, { phone: PHONE, pushName: 'John Doe' });
    assert.equal(a.state.creds.me?.name, undefined, 'pairing gives a personal account no name');
    const deadline = Date.now() + 3_000;
    while (a.state.creds.me?.name !== 'John Doe' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(a.state.creds.me?.name, 'John Doe');
    assert.equal(client.updates.filter((u) => u.connection === 'close').length, 0);
  });
});

test('QR refs run out → 408 "QR refs attempts ended" after 6 QRs', async () => {
  await withSim(async ({ sim, auth, connect }) => {
    const a = await auth();
    const c = connect(sim, a, { qrTimeout: 300 });
    const closed = await within(c.closed, 6_000, '408');
    assert.equal(closed.statusCode, 408);
    assert.match(closed.message, /QR refs attempts ended/);
    assert.equal(c.updates.filter((u) => u.qr).length, 6);
  });
});

test('scan refuses unknown, expired and malformed QRs', async () => {
  await withSim(async ({ sim, auth, connect }) => {
    const a = await auth();
    const c = connect(sim, a);
    const qr = await within(c.qr(), 5_000, 'QR');
    const forged = qr.replace('#', '#X');
    await assert.rejects(
      sim.scan({ qr: forged, phone: PHONE }),
      (e: unknown) => e instanceof SimError && e.code === 'qr_unknown',
    );
    await assert.rejects(
      sim.scan({ qr: 'hello', phone: PHONE }),
      (e: unknown) => e instanceof SimError && e.code === 'qr_invalid',
    );
    await assert.rejects(
      sim.scan({ qr, phone: '12' }),
      (e: unknown) => e instanceof SimError && e.code === 'invalid_phone',
    );
    // Wrong keys for a real ref: the QR must describe the companion that holds the ref.
    const parts = qr.split(',');
    parts[1] = Buffer.alloc(32, 7).toString('base64');
    await assert.rejects(
      sim.scan({ qr: parts.join(','), phone: PHONE }),
      (e: unknown) => e instanceof SimError && e.code === 'qr_invalid',
    );
    c.end();
    await within(c.closed, 3_000, 'close');
    // Once its connection is gone the ref is expired.
    await assert.rejects(
      sim.scan({ qr, phone: PHONE }),
      (e: unknown) => e instanceof SimError && e.code === 'qr_unknown',
    );
    assert.deepEqual(sim.listPhones(), []);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimError, type Simulator } from '../../sim/index.ts';
import { within, withSim, type Client } from './helpers.ts';

const PHONE = '201012345678';

/** Calls requestPairingCode on the first QR (after the registration handshake, as the protocol doc requires). */
async function requestCode(c: Client): Promise<string> {
  await within(c.qr(), 5_000, 'first QR');
  const code = await c.sock.requestPairingCode(PHONE);
  assert.match(code, /^[1-9A-HJ-NP-TV-Z]{8}$/);
  return code;
}

/** companion_hello is processed asynchronously on the server; retry briefly until it is there. */
async function enter(
  sim: Simulator,
  code: string,
  extra: { pushName?: string | null; businessName?: string | null } = {},
) {
  for (let i = 0; ; i++) {
    try {
      return await sim.enterCode({ phone: PHONE, code, ...extra });
    } catch (e) {
      if (!(e instanceof SimError && e.code === 'no_pending_code') || i > 50) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

test('pairing code end to end: companion_hello → enterCode → primary_hello → companion_finish → pair-success → 515 → open', async () => {
  await withSim(async ({ sim, auth, connect }) => {
    const a = await auth();
    const first = connect(sim, a);
    const code = await requestCode(first);
    const res = await enter(sim, code, { pushName: 'John Doe', businessName: 'Acme' });
    assert.equal(res.jid, `${PHONE}:1@s.whatsapp.net`);
    const closed = await within(first.closed, 5_000, '515');
    assert.equal(closed.statusCode, 515);
    assert.equal(a.state.creds.registered, true, 'companion_finish was answered with a result');

    const second = connect(sim, a);
    await within(second.opened, 8_000, 'open');
    assert.equal(a.state.creds.me?.id, `${PHONE}:1@s.whatsapp.net`);
    assert.equal(a.state.creds.me?.lid, res.lid);
    assert.equal(a.state.creds.me?.name, 'Acme');
    // The derived adv secret really is shared: pair-success' HMAC passed (else 500 "Invalid account signature").
    second.end();
    await within(second.closed, 3_000, 'end');
    const again = connect(sim, a);
    await within(again.opened, 5_000, 'relogin');
    assert.equal(
      again.updates.some((u) => u.qr),
      false,
    );
  });
});

test('wrong code: companion_finish gets an iq error, no pair-success, the socket stays in QR mode; the right code still works after', async () => {
  await withSim(async ({ sim, auth, connect }) => {
    const a = await auth();
    const c = connect(sim, a);
    const code = await requestCode(c);
    const wrong = code === 'ZZZZZZZZ' ? 'YYYYYYYY' : 'ZZZZZZZZ';
    await assert.rejects(enter(sim, wrong), (e: unknown) => e instanceof SimError && e.code === 'code_mismatch');
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(a.state.creds.registered, false);
    assert.equal(
      c.updates.some((u) => u.connection === 'close' || u.isNewLogin),
      false,
      'Baileys tells the app nothing',
    );
    assert.deepEqual(
      sim.listPhones().flatMap((p) => p.devices),
      [],
    );

    // The phone may try again on the same companion.
    const res = await enter(sim, code, { pushName: null });
    assert.equal(res.jid, `${PHONE}:1@s.whatsapp.net`);
    assert.equal((await within(c.closed, 5_000, '515')).statusCode, 515);
  });
});

test('enterCode without a waiting companion → no_pending_code; malformed code → invalid_code', async () => {
  await withSim(async ({ sim, auth, connect }) => {
    await assert.rejects(
      sim.enterCode({ phone: PHONE, code: 'ABCDEFGH' }),
      (e: unknown) => e instanceof SimError && e.code === 'no_pending_code',
    );
    const a = await auth();
    const c = connect(sim, a);
    await requestCode(c);
    await assert.rejects(enter(sim, 'ABC'), (e: unknown) => e instanceof SimError && e.code === 'invalid_code');
    c.end();
    await within(c.closed, 3_000, 'close');
    await assert.rejects(
      sim.enterCode({ phone: PHONE, code: 'ABCDEFGH' }),
      (e: unknown) => e instanceof SimError && e.code === 'no_pending_code',
    );
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { within, withSim } from './helpers.ts';

const PHONE = '201012345678';

test('unlink → 401 device_removed; the device is forgotten, so the next login gets <failure reason=401>', async () => {
  await withSim(async ({ sim, auth, connect, pair }) => {
    const a = await auth();
    const { client } = await pair(a, { phone: PHONE });
    assert.equal(await sim.unlink(PHONE), 1);
    const closed = await within(client.closed, 5_000, '401');
    assert.equal(closed.statusCode, 401);
    assert.match(closed.message, /conflict/);
    assert.deepEqual(sim.listPhones()[0].devices, []);

    const again = connect(sim, a);
    const refused = await within(again.closed, 5_000, 'failure 401');
    assert.equal(refused.statusCode, 401);
    assert.match(refused.message, /Connection Failure/);
    assert.equal(await sim.unlink('201099999999'), 0, 'unknown phone: nothing to unlink');
  });
});

test('disconnect conflict → 440 connectionReplaced', async () => {
  await withSim(async ({ sim, auth, pair }) => {
    const a = await auth();
    const { client } = await pair(a, { phone: PHONE });
    assert.equal(await sim.disconnect(PHONE, 'conflict'), 1);
    assert.equal((await within(client.closed, 5_000, '440')).statusCode, 440);
  });
});

test('disconnect drop (no close frame) → 428 connectionClosed, and the device can log in again', async () => {
  await withSim(async ({ sim, auth, connect, pair }) => {
    const a = await auth();
    const { client } = await pair(a, { phone: PHONE });
    assert.equal(await sim.disconnect(PHONE, 'drop'), 1);
    assert.equal((await within(client.closed, 5_000, '428')).statusCode, 428);
    const again = connect(sim, a);
    await within(again.opened, 5_000, 'relogin after drop');
  });
});

test('disconnect restart → 515, then a new socket opens', async () => {
  await withSim(async ({ sim, auth, connect, pair }) => {
    const a = await auth();
    const { client } = await pair(a, { phone: PHONE });
    assert.equal(await sim.disconnect(PHONE, 'restart'), 1);
    assert.equal((await within(client.closed, 5_000, '515')).statusCode, 515);
    const again = connect(sim, a);
    await within(again.opened, 5_000, 'open after restart');
    assert.equal(await sim.disconnect('201099999999', 'restart'), 0);
  });
});

test('a second login of the same device replaces the first (440 for the old socket)', async () => {
  await withSim(async ({ sim, auth, connect, pair }) => {
    const a = await auth();
    const { client } = await pair(a, { phone: PHONE });
    const second = connect(sim, a);
    await within(second.opened, 5_000, 'second open');
    assert.equal((await within(client.closed, 5_000, '440')).statusCode, 440);
    assert.equal(sim.listPhones()[0].devices[0].connected, true);
  });
});

test('ignorePings → the client gives up with 408 connectionLost (after keepAliveIntervalMs + 5 s of silence)', async () => {
  await withSim(async ({ sim, auth, pair }) => {
    const a = await auth();
    const { client } = await pair(a, { phone: PHONE }, { keepAliveIntervalMs: 250 });
    sim.faults.ignorePings = true;
    const t0 = Date.now();
    const closed = await within(client.closed, 9_000, '408');
    assert.equal(closed.statusCode, 408);
    assert.match(closed.message, /Connection was lost/);
    assert.ok(Date.now() - t0 >= 4_500, 'not before the keep-alive grace period');
  });
});

test('refuseConnections → the socket errors before any handshake; lifting it lets clients in again', async () => {
  await withSim(async ({ sim, auth, connect }) => {
    sim.faults.refuseConnections = true;
    const a = await auth();
    const c = connect(sim, a);
    const closed = await within(c.closed, 5_000, 'refused');
    // Baileys maps the hung-up upgrade to a WebSocket error with 408 (the engine treats it as connection lost).
    assert.equal(closed.statusCode, 408);
    assert.match(closed.message, /WebSocket Error/);
    assert.equal(
      c.updates.some((u) => u.qr),
      false,
    );
    sim.faults.refuseConnections = false;
    const ok = connect(sim, a);
    await within(ok.qr(), 5_000, 'QR once connections are accepted');
  });
});

test("Baileys' logout() removes the device on the simulator (remove-companion-device)", async () => {
  await withSim(async ({ sim, auth, connect, pair }) => {
    const a = await auth();
    const { client } = await pair(a, { phone: PHONE });
    await client.sock.logout();
    assert.equal((await within(client.closed, 5_000, 'logout')).statusCode, 401);
    const deadline = Date.now() + 2_000;
    while (sim.listPhones()[0].devices.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(sim.listPhones()[0].devices, []);
    const again = connect(sim, a);
    assert.equal((await within(again.closed, 5_000, 'failure 401')).statusCode, 401);
  });
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  messageEvent,
  meName,
  newPhone,
  startGateway,
  until,
  type Gateway,
  type Instance,
} from '../harness/gateway.ts';

/**
 * Re-linking through the gateway (issue 13): after the phone unlinks the device, or after the gateway's logout, the
 * same phone links again and everything works as on the first link (push name, rename, texts both ways); and the
 * sandbox routes for faults, reset, a phone's devices and activity.
 */

let g: Gateway;
before(async () => {
  g = await startGateway();
});
after(() => g.close());

async function scan(i: Instance, phone: string, name?: string): Promise<void> {
  const res = await g.admin('POST', '/sandbox/scan', { qr: await i.qr(), phone, push_name: name, platform: 'android' });
  assert.equal(res.status, 200, String(res.raw));
  await i.waitStatus('WORKING', 'connected', 30_000);
}

/** What a link must give: the push name by app-state sync, a rename that reaches it, texts both ways. */
async function worksFully(i: Instance, phone: string, name: string, contact: string): Promise<void> {
  await until(`${name} on /me`, async () => (await meName(i)) === name);
  const renamed = `${name} Renamed`;
  const patch = await g.admin('PATCH', `/sandbox/phones/${phone}`, { push_name: renamed });
  assert.equal(patch.body.notified, 1, 'the linked device is told about the rename');
  await until(`${renamed} on /me`, async () => (await meName(i)) === renamed);
  await g.admin('PATCH', `/sandbox/phones/${phone}`, { push_name: name });
  await until(`${name} back on /me`, async () => (await meName(i)) === name);

  const text = `to ${i.id} ${Date.now()}`;
  assert.equal((await g.admin('POST', `/sandbox/phones/${contact}/messages`, { to: phone, text })).status, 200);
  await messageEvent(g.url, i, text, 20_000);

  const reply = `from ${i.id} ${Date.now()}`;
  const sent = await i.call('POST', '/v2/send/text', { chatId: contact, message: reply });
  assert.equal(sent.status, 201, String(sent.raw));
  await until('the contact decrypted the reply', async () => {
    const got = await g.admin('GET', `/sandbox/phones/${contact}/messages`);
    return got.body.some((m: { text: string }) => m.text.startsWith(reply));
  });
}

/** A new instance linked to a new phone, shown to work fully with a new contact. */
async function linkedAndWorking(
  instanceName: string,
  name: string,
): Promise<{ i: Instance; phone: string; contact: string }> {
  const i = await g.newInstance(instanceName);
  const phone = newPhone();
  const contact = newPhone();
  await i.call('POST', '/v2/session/start');
  await scan(i, phone, name);
  await worksFully(i, phone, name, contact);
  return { i, phone, contact };
}

test('the phone unlinks, then the same phone links again: push name, rename, texts both ways', async () => {
  const { i, phone, contact } = await linkedAndWorking('relink-unlink', 'Una Link');
  assert.equal((await g.admin('POST', `/sandbox/phones/${phone}/unlink`)).body.removed, 1);
  await i.waitStatus('FAILED', 'device_removed');
  await i.call('POST', '/v2/session/restart');
  await scan(i, phone);
  const devices = await g.admin('GET', `/sandbox/phones/${phone}/devices`);
  assert.deepEqual(
    devices.body.map((d: { jid: string }) => d.jid),
    [`${phone}:1@s.whatsapp.net`],
    'the same device id again',
  );
  await worksFully(i, phone, 'Una Link', contact);
});

test("the gateway's logout, then the same phone links again: push name, rename, texts both ways", async () => {
  const { i, phone, contact } = await linkedAndWorking('relink-logout', 'Lou Gout');
  assert.equal((await i.call('POST', '/v2/session/logout')).status, 200);
  await i.waitStatus('SCAN_QR_CODE', 'logout_requested');
  await until('device gone', async () => (await g.admin('GET', `/sandbox/phones/${phone}/devices`)).body.length === 0);
  await scan(i, phone);
  await worksFully(i, phone, 'Lou Gout', contact);
});

test('sandbox routes: faults, devices, activity, reset', async () => {
  const i = await g.newInstance('routes');
  const phone = newPhone();
  await i.call('POST', '/v2/session/start');
  const t0 = Date.now();
  await scan(i, phone, 'Route Tester');

  const devices = await g.admin('GET', `/sandbox/phones/${phone}/devices`);
  assert.equal(devices.status, 200);
  assert.equal(devices.body.length, 1);
  assert.deepEqual(Object.keys(devices.body[0]), ['jid', 'platform', 'linked_at']);
  assert.equal(devices.body[0].platform, 'android');
  assert.ok(Date.parse(devices.body[0].linked_at) >= t0 - 1000);
  assert.equal((await g.admin('GET', '/sandbox/phones/12/devices')).status, 400);

  const activity = await g.admin('GET', `/sandbox/phones/${newPhone()}/activity`);
  assert.equal(activity.status, 200);
  assert.deepEqual(activity.body, []);

  const injected = await g.admin('POST', '/sandbox/faults', { fault: 'cert_key_mismatch', connections: 2 });
  assert.equal(injected.status, 200, String(injected.raw));
  assert.deepEqual(injected.body, { pending: 2 });
  assert.deepEqual((await g.admin('POST', '/sandbox/faults', { fault: 'cert_expired' })).body, { pending: 3 });
  assert.equal((await g.admin('POST', '/sandbox/faults', { fault: 'cert_revoked', connections: 1 })).status, 400);
  assert.equal((await g.admin('POST', '/sandbox/faults', { fault: 'cert_expired', connections: 0 })).status, 400);
  assert.deepEqual(await g.sessions.sim!.faults.pending(), ['cert_key_mismatch', 'cert_key_mismatch', 'cert_expired']);
  const cleared = await g.admin('DELETE', '/sandbox/faults');
  assert.equal(cleared.status, 204);
  assert.deepEqual(await g.sessions.sim!.faults.pending(), []);

  const reset = await g.admin('POST', '/sandbox/reset');
  assert.equal(reset.status, 204);
  await i.waitStatus('FAILED', 'device_removed');
  assert.deepEqual((await g.admin('GET', '/sandbox/phones')).body, []);
  assert.deepEqual((await g.admin('GET', `/sandbox/phones/${phone}/devices`)).body, []);
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newPhone, sleep, startGateway, type Gateway, type Instance } from '../harness/gateway.ts';

/** End to end: HTTP → session manager → Baileys engine → embedded simulator, on a temp SQLite store. */

let g: Gateway;
before(async () => {
  g = await startGateway();
});
after(() => g.close());

async function link(i: Instance, opts: { phone?: string; pushName?: string | null } = {}): Promise<string> {
  const phone = opts.phone ?? newPhone();
  const start = await i.call('POST', '/v2/session/start');
  assert.equal(start.status, 200);
  const qr = await i.qr();
  const scan = await g.admin('POST', '/sandbox/scan', {
    qr,
    phone,
    push_name: opts.pushName === undefined ? 'John Doe' : opts.pushName,
    platform: 'android',
  });
  assert.equal(scan.status, 200, String(scan.raw));
  assert.match(scan.body.jid, new RegExp(`^${phone}:\\d+@s\\.whatsapp\\.net$`));
  await i.waitStatus('WORKING', 'connected');
  return phone;
}

const history = (info: any): string[] => info.history.map((h: any) => `${h.status}/${h.reason}`).reverse();

describe('linking', () => {
  test('create → start → QR → /sandbox/scan → WORKING', async () => {
    const i = await g.newInstance('qr-link');
    const start = await i.call('POST', '/v2/session/start');
    assert.deepEqual(start.body, {
      instance_id: i.id,
      name: 'qr-link',
      status: 'STARTING',
      config: { webhooks: {}, proxy: null },
    });

    const scanning = await i.waitStatus('SCAN_QR_CODE', 'qr_ready');
    assert.match(scanning.qr, /^data:image\/png;base64,/);

    const qr = await i.call('GET', '/v2/auth/qr');
    assert.equal(qr.status, 200);
    assert.equal(qr.headers.get('cache-control'), 'no-store');
    assert.equal(qr.body.mimetype, 'application/json');
    assert.match(qr.body.value, /^https:\/\/wa\.me\/settings\/linked_devices#/);
    assert.ok(qr.body.expiry > Date.now());
    assert.deepEqual(JSON.parse(Buffer.from(qr.body.data, 'base64').toString('utf8')), {
      value: qr.body.value,
      expiry: qr.body.expiry,
    });
    const post = await i.call('POST', '/v2/auth/qr', { format: 'raw' });
    assert.equal(post.status, 200);
    assert.equal((await i.call('POST', '/v2/auth/qr', { format: 'svg' })).status, 400);

    const image = await i.call('GET', '/v2/auth/qr-image');
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('cache-control'), 'no-store');
    assert.match(image.body.qr, /^data:image\/png;base64,/);
    const png = await i.call('GET', '/v2/auth/qr-image', undefined, { accept: 'image/png' });
    assert.equal(png.status, 200);
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.deepEqual([...png.raw.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    const phone = newPhone();
    const scan = await g.admin('POST', '/sandbox/scan', {
      qr: qr.body.value,
      phone,
      push_name: 'John Doe',
      platform: 'android',
    });
    assert.equal(scan.status, 200, String(scan.raw));
    let info = await i.waitStatus('WORKING', 'connected');
    // A personal account's name arrives by app-state sync shortly after open (engine 'identity' event).
    for (const deadline = Date.now() + 15_000; info.me?.pushName !== 'John Doe' && Date.now() < deadline;) {
      await sleep(50);
      info = await i.info();
    }
    assert.deepEqual(info.me, { id: `${phone}@c.us`, pushName: 'John Doe' });
    assert.equal(info.qr, undefined);
    assert.deepEqual(history(info), [
      'STOPPED/created',
      'STARTING/start_requested',
      'SCAN_QR_CODE/qr_ready',
      'WORKING/connected',
    ]);

    // Idempotent start: no reconnect, same status.
    const again = await i.call('GET', '/v2/session/start');
    assert.equal(again.body.status, 'WORKING');
    await sleep(200);
    assert.equal(history(await i.info()).length, 4);

    // QR routes refuse outside SCAN_QR_CODE.
    for (const path of ['/v2/auth/qr', '/v2/auth/qr-image']) {
      const res = await i.call('GET', path);
      assert.equal(res.status, 409, path);
      assert.equal(res.body.code, 'invalid_state');
      assert.equal(res.body.details.status, 'WORKING');
    }
    const code = await i.call('POST', '/v2/auth/request-code', { phone_number: phone });
    assert.equal(code.status, 409);

    const phones = await g.admin('GET', '/sandbox/phones');
    const entry = phones.body.find((p: any) => p.phone === phone);
    assert.equal(entry.push_name, 'John Doe');
    assert.equal(entry.devices.length, 1);
  });

  test('pairing code → /sandbox/enter-code → WORKING', async () => {
    const i = await g.newInstance('code-link');
    await i.call('POST', '/v2/session/start');
    await i.waitStatus('SCAN_QR_CODE');
    const phone = newPhone();
    assert.equal((await i.call('POST', '/v2/auth/request-code', { phone_number: '+20 10' })).status, 400);
    assert.equal((await i.call('POST', '/v2/auth/request-code', {})).body.code, 'missing_parameter');
    const res = await i.call('POST', '/v2/auth/request-code', { phone_number: phone });
    assert.equal(res.status, 200, String(res.raw));
    assert.match(res.body.code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    const entered = await g.admin('POST', '/sandbox/enter-code', {
      phone,
      code: res.body.code,
      push_name: 'Code User',
      platform: 'iphone',
    });
    assert.equal(entered.status, 200, String(entered.raw));
    const info = await i.waitStatus('WORKING', 'connected');
    assert.equal(info.me.id, `${phone}@c.us`);
  });

  test('unknown QR or code → 404 from the sandbox; requests without the admin token → 401', async () => {
    const bad = await g.admin('POST', '/sandbox/scan', {
      qr: 'https://wa.me/settings/linked_devices#nope,AAAA,BBBB,CCCC,1',
      phone: newPhone(),
      push_name: 'x',
      platform: 'android',
    });
    assert.ok(bad.status === 404 || bad.status === 400, `${bad.status} ${bad.raw}`);
    const noCode = await g.admin('POST', '/sandbox/enter-code', { phone: newPhone(), code: 'ABCD-1234' });
    assert.equal(noCode.status, 404);
    assert.equal(noCode.body.code, 'not_found');
    const anon = await g.call('GET', '/sandbox/phones');
    assert.equal(anon.status, 401);
  });
});

describe('after linking', () => {
  test('stop keeps credentials; start logs in again without a QR', async () => {
    const i = await g.newInstance('stop-start');
    const phone = await link(i);
    const stop = await i.call('POST', '/v2/session/stop');
    assert.deepEqual(stop.body, {
      instance_id: i.id,
      name: 'stop-start',
      status: 'STOPPED',
      config: { webhooks: {}, proxy: null },
    });
    const stopped = await i.info();
    assert.equal(stopped.reason, 'stop_requested');
    assert.equal(stopped.me.id, `${phone}@c.us`, 'identity kept while stopped');
    await i.call('POST', '/v2/session/start');
    const info = await i.waitStatus('WORKING', 'connected');
    assert.ok(!history(info).slice(-3).includes('SCAN_QR_CODE/qr_ready'), history(info).join(' '));
  });

  test('restart reconnects with saved credentials', async () => {
    const i = await g.newInstance('restart');
    await link(i);
    const res = await i.call('GET', '/v2/session/restart');
    assert.equal(res.body.status, 'STARTING');
    const info = await i.waitStatus('WORKING', 'connected');
    assert.deepEqual(history(info).slice(-2), ['STARTING/restart_requested', 'WORKING/connected']);
  });

  test('logout → SCAN_QR_CODE/logout_requested with a new QR; identity cleared; the phone loses the device', async () => {
    const i = await g.newInstance('logout');
    const phone = await link(i);
    const res = await i.call('POST', '/v2/session/logout');
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'SCAN_QR_CODE');
    const info = await i.waitStatus('SCAN_QR_CODE', 'logout_requested');
    assert.equal(info.me, null);
    const fresh = await i.qr();
    assert.match(fresh, /^https:\/\/wa\.me\/settings\/linked_devices#/);
    const phones = await g.admin('GET', '/sandbox/phones');
    assert.equal(phones.body.find((p: any) => p.phone === phone)?.devices.length ?? 0, 0);
    // The fresh QR links again (another phone this time).
    const scan = await g.admin('POST', '/sandbox/scan', {
      qr: fresh,
      phone: newPhone(),
      push_name: 'Next',
      platform: 'android',
    });
    assert.equal(scan.status, 200, String(scan.raw));
    await i.waitStatus('WORKING', 'connected');
  });

  test('phone unlinks → FAILED/device_removed; restart → fresh QR', async () => {
    const i = await g.newInstance('unlink');
    const phone = await link(i);
    const res = await g.admin('POST', `/sandbox/phones/${phone}/unlink`);
    assert.equal(res.status, 200);
    assert.equal(res.body.removed, 1);
    const failed = await i.waitStatus('FAILED', 'device_removed');
    assert.equal(failed.me, null);
    await i.call('POST', '/v2/session/restart');
    await i.waitStatus('SCAN_QR_CODE', 'qr_ready');
    assert.match(await i.qr(), /^https:\/\/wa\.me\//);
  });

  test('connection dropped → STARTING/connection_lost → WORKING again', async () => {
    const i = await g.newInstance('drop');
    const phone = await link(i);
    const res = await g.admin('POST', `/sandbox/phones/${phone}/disconnect`, { mode: 'drop' });
    assert.equal(res.status, 200);
    assert.equal(res.body.disconnected, 1);
    await i.waitStatus('STARTING', 'connection_lost');
    const info = await i.waitStatus('WORKING', 'connected');
    assert.deepEqual(history(info).slice(-2), ['STARTING/connection_lost', 'WORKING/connected']);
  });

  test('replaced elsewhere → STOPPED/connection_replaced', async () => {
    const i = await g.newInstance('conflict');
    const phone = await link(i);
    await g.admin('POST', `/sandbox/phones/${phone}/disconnect`, { mode: 'conflict' });
    const info = await i.waitStatus('STOPPED', 'connection_replaced');
    assert.equal(info.me.id, `${phone}@c.us`, 'credentials and identity kept');
    assert.equal((await g.admin('POST', `/sandbox/phones/${phone}/disconnect`, { mode: 'bogus' })).status, 400);
  });

  test('delete stops the session first', async () => {
    const i = await g.newInstance('delete');
    const phone = await link(i);
    const res = await i.call('DELETE', '/v2/session/delete');
    assert.equal(res.status, 200);
    assert.equal((await i.call('GET', '/v2/session/info')).status, 404);
    await sleep(200);
    const phones = await g.admin('GET', '/sandbox/phones');
    const devices = phones.body.find((p: any) => p.phone === phone)?.devices ?? [];
    assert.ok(
      devices.every((d: any) => d.connected === false),
      JSON.stringify(devices),
    );
  });
});

describe('expected_phone', () => {
  test('another number links → STOPPED/identity_mismatch, device unlinked, never WORKING', async () => {
    const i = await g.newInstance('guarded', { expected_phone: '201099999999' });
    await i.call('POST', '/v2/session/start');
    const phone = newPhone();
    const scan = await g.admin('POST', '/sandbox/scan', {
      qr: await i.qr(),
      phone,
      push_name: 'Intruder',
      platform: 'android',
    });
    assert.equal(scan.status, 200);
    const info = await i.waitStatus('STOPPED', 'identity_mismatch');
    assert.equal(info.me, null);
    assert.ok(!history(info).includes('WORKING/connected'), history(info).join(' '));
    await sleep(200);
    const phones = await g.admin('GET', '/sandbox/phones');
    assert.equal(phones.body.find((p: any) => p.phone === phone)?.devices.length ?? 0, 0, 'device unlinked');
  });
});

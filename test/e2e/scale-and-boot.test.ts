import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { instanceHandle, newPhone, startGateway, type Instance } from '../harness/gateway.ts';

/** End to end: many sessions at once, QR expiry, and a process restart that restores sessions without a QR. */

test('20 instances linked at once all reach WORKING', async (t) => {
  const g = await startGateway();
  t.after(() => g.close());
  const instances: Instance[] = [];
  for (let n = 0; n < 20; n++) instances.push(await g.newInstance(`bulk-${n}`));
  await Promise.all(instances.map((i) => i.call('POST', '/v2/session/start')));
  await Promise.all(
    instances.map(async (i, n) => {
      const qr = await i.qr(30_000);
      const scan = await g.admin('POST', '/sandbox/scan', {
        qr,
        phone: newPhone(),
        push_name: `User ${n}`,
        platform: 'android',
      });
      assert.equal(scan.status, 200, String(scan.raw));
      await i.waitStatus('WORKING', 'connected', 60_000);
    }),
  );
  const phones = await g.admin('GET', '/sandbox/phones');
  const connected = phones.body.flatMap((p: any) => p.devices).filter((d: any) => d.connected !== false);
  assert.equal(connected.length, 20);
});

test('QR never scanned → STOPPED/qr_timeout', async (t) => {
  const g = await startGateway({ qrTimeoutMs: 300 });
  t.after(() => g.close());
  const i = await g.newInstance('ignored');
  await i.call('POST', '/v2/session/start');
  await i.waitStatus('SCAN_QR_CODE', 'qr_ready');
  const info = await i.waitStatus('STOPPED', 'qr_timeout', 30_000);
  assert.equal(info.qr, undefined);
  assert.equal((await i.call('GET', '/v2/auth/qr')).status, 409);
});

test('process restart: running sessions come back (boot_restore) from stored credentials, stopped ones stay', async (t) => {
  const masterKey = randomBytes(32);
  const first = await startGateway({ masterKey });
  let closed = false;
  t.after(async () => {
    if (!closed) await first.close();
  });
  const running = await first.newInstance('survivor');
  await running.call('POST', '/v2/session/start');
  const phone = newPhone();
  await first.admin('POST', '/sandbox/scan', {
    qr: await running.qr(),
    phone,
    push_name: 'Survivor',
    platform: 'android',
  });
  await running.waitStatus('WORKING', 'connected');
  const idle = await first.newInstance('idle');

  // The simulator lives in the process: it restarts too and forgets the device. To restore from stored
  // credentials we keep the simulator of the first life running and point the second life at it.
  const sim = first.sessions.sim!;
  await first.app.close();
  await first.sessions.close({ keepSimulator: true }); // keeps credentials, records nothing
  await first.store.close();
  closed = true;
  const stored = await (async () => {
    const { openStore } = await import('../../src/store/index.ts');
    const s = await openStore({ dataDir: first.dir });
    try {
      return (await s.getInstance(running.id))!;
    } finally {
      await s.close();
    }
  })();
  assert.equal(stored.status, 'WORKING', 'shutdown leaves the stored status for the next boot');

  const second = await startGateway({ dir: first.dir, masterKey, simulator: sim });
  t.after(async () => {
    await second.close();
    await sim.stop();
  });
  assert.equal(await second.sessions.manager.restoreAll(), 1);
  const again = instanceHandle(second.call, running.token, running.id);
  const info = await again.waitStatus('WORKING', 'connected');
  const history = info.history.map((h: any) => `${h.status}/${h.reason}`);
  assert.deepEqual(history.slice(0, 2), ['WORKING/connected', 'STARTING/boot_restore']);
  assert.equal(info.me.id, `${phone}@c.us`);
  const idleInfo = await instanceHandle(second.call, idle.token, idle.id).info();
  assert.equal(idleInfo.status, 'STOPPED');
});

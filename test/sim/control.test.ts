import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { within, withSim } from './helpers.ts';

const PHONE = '201012345678';

test('HTTP control surface: scan, phones, disconnect, unlink, faults and error codes', async () => {
  await withSim(
    async ({ sim, auth, connect }) => {
      const base = sim.url.replace(/^ws:/, 'http:').replace(/\/ws\/chat$/, '');
      const post = (path: string, body?: unknown) =>
        fetch(base + path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });

      const unknown = await post('/scan', {
        qr: 'https://wa.me/settings/linked_devices#nope,AAAA,AAAA,AAAA,1',
        phone: PHONE,
      });
      assert.equal(unknown.status, 400);
      assert.equal((await unknown.json()).code, 'qr_invalid');

      const a = await auth();
      const first = connect(sim, a);
      const qr = await within(first.qr(), 5_000, 'QR');
      const scanned = await post('/scan', { qr, phone: PHONE, push_name: 'John Doe', platform: 'smba' });
      assert.equal(scanned.status, 200);
      assert.equal((await scanned.json()).jid, `${PHONE}:1@s.whatsapp.net`);
      assert.equal((await within(first.closed, 5_000, '515')).statusCode, 515);
      const again = await post('/scan', { qr, phone: PHONE });
      assert.equal(again.status, 404);
      assert.equal((await again.json()).code, 'qr_unknown');

      const second = connect(sim, a);
      await within(second.opened, 8_000, 'open');
      assert.equal(a.state.creds.me?.name, 'John Doe', 'smba: business name defaults to the push name');
      const phones = await (await fetch(base + '/phones')).json();
      assert.deepEqual(phones, [
        {
          phone: PHONE,
          push_name: 'John Doe',
          devices: [{ jid: `${PHONE}:1@s.whatsapp.net`, platform: 'smba', connected: true }],
        },
      ]);

      const noCode = await post('/enter-code', { phone: PHONE, code: 'ABCDEFGH' });
      assert.equal(noCode.status, 404);
      assert.equal((await noCode.json()).code, 'no_pending_code');

      const badMode = await post(`/phones/${PHONE}/disconnect`, { mode: 'explode' });
      assert.equal(badMode.status, 400);
      const conflict = await post(`/phones/${PHONE}/disconnect`, { mode: 'conflict' });
      assert.deepEqual(await conflict.json(), { disconnected: 1 });
      assert.equal((await within(second.closed, 5_000, '440')).statusCode, 440);

      const unlinked = await post(`/phones/${PHONE}/unlink`);
      assert.deepEqual(await unlinked.json(), { removed: 1 });

      const faults = await fetch(base + '/faults', { method: 'PATCH', body: JSON.stringify({ ignorePings: true }) });
      assert.deepEqual(await faults.json(), {
        ignorePings: true,
        foreignRoot: false,
        refuseConnections: false,
        forgeAccountSignature: false,
        pending: [],
      });
      assert.equal(sim.faults.ignorePings, true);
      assert.equal((await fetch(base + '/nope')).status, 404);
    },
    { controlApi: true },
  );
});

test('HTTP control surface: rename, a contact texts the account, what the contact received', async () => {
  await withSim(
    async ({ sim, auth, pair }) => {
      const base = sim.url.replace(/^ws:/, 'http:').replace(/\/ws\/chat$/, '');
      const call = (method: string, path: string, body?: unknown) =>
        fetch(base + path, {
          method,
          headers: { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const contact = '201099990001';
      const noAccount = await call('POST', `/phones/${contact}/messages`, { to: PHONE, text: 'hi' });
      assert.equal(noAccount.status, 404);
      assert.equal((await noAccount.json()).code, 'unknown_account');

      const a = await auth();
      const { client } = await pair(a, { phone: PHONE, pushName: 'John Doe' });
      const texts: string[] = [];
      client.sock.ev.on('messages.upsert', ({ messages }) =>
        messages.forEach((m) => m.message?.conversation && texts.push(m.message.conversation)),
      );
      for (let i = 0; i < 250 && a.state.creds.me?.name !== 'John Doe'; i++)
        await new Promise((r) => setTimeout(r, 20));

      const renamed = await call('PATCH', `/phones/+${PHONE}`, { push_name: 'John Renamed' });
      assert.deepEqual(await renamed.json(), { phone: PHONE, notified: 1 });
      assert.equal((await call('PATCH', `/phones/${PHONE}`, { push_name: '' })).status, 400);

      const sent = await call('POST', `/phones/${contact}/messages`, { to: PHONE, text: 'hello' });
      assert.equal(sent.status, 200);
      const { id, timestamp } = await sent.json();
      assert.match(id, /^[0-9A-F]+$/);
      assert.equal(typeof timestamp, 'number');
      assert.equal((await call('POST', `/phones/${contact}/messages`, { to: PHONE, text: '' })).status, 400);
      for (let i = 0; i < 250 && !texts.includes('hello'); i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(texts, ['hello']);

      const reply = await client.sock.sendMessage(`${contact}@s.whatsapp.net`, { text: 'hello back' });
      for (let i = 0; i < 250 && !sim.receivedMessages(contact).length; i++)
        await new Promise((r) => setTimeout(r, 20));
      const listed = await (await call('GET', `/phones/${contact}/messages`)).json();
      assert.deepEqual(
        listed.map((m: { id: string; from: string; text: string }) => [m.id, m.from, m.text]),
        [[reply!.key.id, PHONE, 'hello back']],
      );
      assert.equal(a.state.creds.me?.name, 'John Renamed');
    },
    { controlApi: true },
  );
});

test('without controlApi the HTTP routes are not served', async () => {
  await withSim(async ({ sim }) => {
    const res = await fetch(sim.url.replace(/^ws:/, 'http:').replace(/\/ws\/chat$/, '/phones'));
    assert.equal(res.status, 404);
  });
});

test('CLI: prints URL and root key, serves the control surface, stops cleanly on SIGTERM', async () => {
  const bin = fileURLToPath(new URL('../../bin/switchboard-sim.mjs', import.meta.url));
  const child = spawn(
    process.execPath,
    [bin, '--port', '0', '--root-seed', 'wa-sim-root-v1', '--log-level', 'silent'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    let out = '';
    child.stdout.setEncoding('utf8');
    await within(
      new Promise<void>((resolve) =>
        child.stdout.on('data', (d: string) => ((out += d), /control:/.test(out) && resolve())),
      ),
      15_000,
      'CLI banner',
    );
    const url = out.match(/url:\s+(ws:\/\/127\.0\.0\.1:\d+\/ws\/chat)/)?.[1];
    assert.ok(url, out);
    assert.match(out, /root key:\s+744095d2a1e5c3eb753b8c2c2cd56dec72f75feb2a10ae3c8985906b59593f07/);
    const phones = await fetch(url.replace(/^ws:/, 'http:').replace(/\/ws\/chat$/, '/phones'));
    assert.deepEqual(await phones.json(), []);
    child.kill('SIGTERM');
    const [code] = await within(once(child, 'exit'), 5_000, 'exit');
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

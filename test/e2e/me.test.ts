import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BusMessage } from '../../src/events/index.ts';
import { instanceHandle, newPhone, sleep, startGateway, type Gateway, type Instance } from '../harness/gateway.ts';
import { ME_KEY_ORDER } from '../fixtures/identity.ts';

/**
 * GET /v2/session/me end to end: HTTP → session manager → Baileys engine → embedded simulator. Personal and
 * business phones, a name that is not known yet, platform mapping, ETag/304, never a stale answer after a status
 * change, intent verification, platform stats.
 */

let g: Gateway;
before(async () => {
  g = await startGateway();
});
after(() => g.close());

interface LinkOpts {
  phone?: string;
  pushName?: string | null;
  platform?: string;
  businessName?: string;
}

async function link(i: Instance, o: LinkOpts = {}): Promise<{ phone: string; lid: string }> {
  const phone = o.phone ?? newPhone();
  assert.equal((await i.call('POST', '/v2/session/start')).status, 200);
  const scan = await g.admin('POST', '/sandbox/scan', {
    qr: await i.qr(),
    phone,
    push_name: o.pushName === undefined ? 'John Doe' : o.pushName,
    platform: o.platform ?? 'android',
    ...(o.businessName ? { business_name: o.businessName } : {}),
  });
  assert.equal(scan.status, 200, String(scan.raw));
  await i.waitStatus('WORKING', 'connected');
  return { phone, lid: scan.body.lid };
}

/** Polls /me until `ready` holds (a personal account's name arrives by app-state sync shortly after open). */
async function meWhen(i: Instance, ready: (body: any) => boolean, timeoutMs = 15_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any = null;
  while (Date.now() < deadline) {
    last = await i.call('GET', '/v2/session/me');
    if (last.status === 200 && ready(last.body)) return last;
    await sleep(50);
  }
  throw new Error(`/me never ready: ${last?.status} ${last?.raw}`);
}

const bareLid = (lid: string): string => `${lid.split('@')[0]!.split(':')[0]}@lid`;

async function expectNotConnected(i: Instance, status: string): Promise<void> {
  const res = await i.call('GET', '/v2/session/me');
  assert.equal(res.status, 404, String(res.raw));
  assert.equal(res.body.code, 'session_not_connected');
  assert.deepEqual(res.body.details, { status });
  assert.equal(res.headers.get('etag'), null);
}

describe('who is linked', () => {
  test('android personal account with a name: exact body, ETag, 304, XML', async () => {
    const i = await g.newInstance('me-android');
    const { phone, lid } = await link(i, { pushName: 'John Doe', platform: 'android' });
    const res = await meWhen(i, (b) => b.pushName === 'John Doe');
    const id = `${phone}@c.us`;
    assert.deepEqual(Object.keys(res.body), ME_KEY_ORDER);
    assert.deepEqual(
      { ...res.body, updatedAt: 'T' },
      {
        id,
        pushName: 'John Doe',
        platform: 'android',
        me: { id, name: 'John Doe' },
        lid: bareLid(lid),
        displayName: 'John Doe',
        platformRaw: 'android',
        source: 'live',
        updatedAt: 'T',
      },
    );
    assert.ok(!Number.isNaN(Date.parse(res.body.updatedAt)));
    assert.equal(res.headers.get('cache-control'), 'private, no-cache');
    const etag = res.headers.get('etag')!;
    assert.match(etag, /^"[A-Za-z0-9_-]+"$/);

    const again = await i.call('GET', '/v2/session/me', undefined, { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.raw.length, 0);
    assert.equal(again.headers.get('etag'), etag);
    assert.equal((await i.call('GET', '/v2/session/me', undefined, { 'if-none-match': `W/${etag}, "x"` })).status, 304);

    const xml = await i.call('GET', '/v2/session/me', undefined, { accept: 'application/xml' });
    assert.equal(xml.status, 200);
    assert.match(
      xml.raw.toString(),
      new RegExp(`^<\\?xml [^>]+\\?><me><id>${phone}@c.us</id><pushName>John Doe</pushName>`),
    );

    // /info agrees (Wawp names the field me.pushName there).
    assert.deepEqual((await i.info()).me, { id, pushName: 'John Doe' });
  });

  test('iPhone: platform ios, raw iphone', async () => {
    const i = await g.newInstance('me-iphone');
    await link(i, { pushName: 'Jane', platform: 'iphone' });
    const res = await meWhen(i, (b) => b.pushName === 'Jane');
    assert.equal(res.body.platform, 'ios');
    assert.equal(res.body.platformRaw, 'iphone');
    assert.equal(res.body.displayName, 'Jane');
  });

  for (const [platform, normalized] of [
    ['smba', 'android'],
    ['smbi', 'ios'],
  ] as const) {
    test(`business app ${platform}: the business name is the name; platform ${normalized}`, async () => {
      const i = await g.newInstance(`me-${platform}`);
      await link(i, { pushName: 'Owner', platform, businessName: 'Acme Ltd' });
      const res = await meWhen(i, (b) => b.pushName !== null);
      assert.equal(res.body.pushName, 'Acme Ltd');
      assert.equal(res.body.me.name, 'Acme Ltd');
      assert.equal(res.body.displayName, 'Acme Ltd');
      assert.equal(res.body.platform, normalized);
      assert.equal(res.body.platformRaw, platform);
    });
  }

  test('personal account without a name: pushName null, displayName +digits, no "null" anywhere', async () => {
    const i = await g.newInstance('me-nameless');
    const { phone } = await link(i, { pushName: null });
    await sleep(500); // give a (wrong) name every chance to show up
    const res = await i.call('GET', '/v2/session/me');
    assert.equal(res.status, 200);
    assert.equal(res.body.pushName, null);
    assert.equal(res.body.me.name, null);
    assert.equal(res.body.displayName, `+${phone}`);
    assert.ok(!res.raw.toString().includes('"null"'));
    const xml = await i.call('GET', '/v2/session/me', undefined, { accept: 'text/xml' });
    assert.match(xml.raw.toString(), /<pushName nil="true"\/>/);
  });

  test('the account renames itself: new body, new ETag, one session.identity event with that body', async () => {
    const i = await g.newInstance('me-rename');
    const { phone } = await link(i, { pushName: 'Before' });
    const first = await meWhen(i, (b) => b.pushName === 'Before');
    const events: BusMessage[] = [];
    const off = g.sessions.bus.subscribe((m) => {
      if (m.envelope.instance_id === i.id && m.envelope.event === 'session.identity') events.push(m);
    });
    try {
      await g.sessions.sim!.setPushName(phone, 'After');
      const renamed = await meWhen(i, (b) => b.pushName === 'After');
      assert.notEqual(renamed.headers.get('etag'), first.headers.get('etag'));
      assert.equal(
        (await i.call('GET', '/v2/session/me', undefined, { 'if-none-match': first.headers.get('etag')! })).status,
        200,
      );
      const last = events.at(-1);
      assert.ok(last, 'session.identity published');
      assert.equal(JSON.stringify(last.envelope.payload), renamed.raw.toString());
    } finally {
      off();
    }
  });

  test("another account's token gets invalid_instance, never the identity", async () => {
    const i = await g.newInstance('me-owner');
    await link(i);
    const stranger = await g.newInstance('me-stranger');
    const res = await g.call('GET', '/v2/session/me', { query: { access_token: stranger.token, instance_id: i.id } });
    assert.equal(res.status, 404);
    assert.equal(res.body.code, 'invalid_instance');
  });
});

describe('never a stale answer', () => {
  test('in the tick of each status change, and after stop, logout, unlink', async () => {
    const i = await g.newInstance('me-stale');
    const { phone } = await link(i);
    await meWhen(i, () => true);
    const violations: string[] = [];
    const seen: string[] = [];
    const off = g.sessions.bus.subscribe((m) => {
      if (m.envelope.instance_id !== i.id || m.envelope.event !== 'session.status') return;
      const status = (m.envelope.payload as { status: string }).status;
      const answer = g.sessions.manager.me(i.id, 'WORKING'); // what the route would answer, in this very tick
      seen.push(status);
      const ok =
        status === 'WORKING' ? answer.kind === 'working' : answer.kind === 'not_connected' && answer.status === status;
      if (!ok) violations.push(`${status}: ${JSON.stringify(answer)}`);
    });
    try {
      await i.call('POST', '/v2/session/stop');
      await expectNotConnected(i, 'STOPPED');
      const stopped = await i.info();
      assert.equal(stopped.me.id, `${phone}@c.us`, '/info still says who was linked');
      const kept = await g.store.getIdentity(i.id);
      assert.equal(kept?.stale, true);

      await i.call('POST', '/v2/session/start');
      await i.waitStatus('WORKING');
      assert.equal((await i.call('GET', '/v2/session/me')).status, 200);

      await g.admin('POST', `/sandbox/phones/${phone}/disconnect`, { mode: 'drop' });
      await i.waitStatus('WORKING', 'connected', 20_000);

      await i.call('POST', '/v2/session/logout');
      await expectNotConnected(i, 'SCAN_QR_CODE');
      assert.equal((await i.info()).me, null);
      assert.equal(await g.store.getIdentity(i.id), null);

      const next = newPhone();
      const scan = await g.admin('POST', '/sandbox/scan', {
        qr: await i.qr(),
        phone: next,
        push_name: 'Next',
        platform: 'android',
      });
      assert.equal(scan.status, 200);
      await i.waitStatus('WORKING', 'connected');
      assert.equal((await meWhen(i, () => true)).body.id, `${next}@c.us`);
      await g.admin('POST', `/sandbox/phones/${next}/unlink`);
      await i.waitStatus('FAILED', 'device_removed');
      await expectNotConnected(i, 'FAILED');
      assert.equal(await g.store.getIdentity(i.id), null);
    } finally {
      off();
    }
    assert.deepEqual(violations, []);
    for (const s of ['STOPPED', 'STARTING', 'WORKING', 'SCAN_QR_CODE', 'FAILED'])
      assert.ok(seen.includes(s), `${s} in ${seen}`);
  });

  test('before linking: 404 with the current status', async () => {
    const i = await g.newInstance('me-fresh');
    await expectNotConnected(i, 'STOPPED');
    await i.call('POST', '/v2/session/start');
    await i.waitStatus('SCAN_QR_CODE');
    await expectNotConnected(i, 'SCAN_QR_CODE');
  });
});

describe('expected_phone', () => {
  test('another number: logged out at once, STOPPED/identity_mismatch, event with both numbers, /me 404', async () => {
    const events: BusMessage[] = [];
    const off = g.sessions.bus.subscribe((m) => {
      if (m.envelope.event === 'session.identity_mismatch' || m.envelope.event === 'session.identity') events.push(m);
    });
    try {
      const i = await g.newInstance('me-guarded', { expected_phone: '+20 10 9999 9999' });
      await i.call('POST', '/v2/session/start');
      const phone = newPhone();
      const scan = await g.admin('POST', '/sandbox/scan', {
        qr: await i.qr(),
        phone,
        push_name: 'Intruder',
        platform: 'android',
      });
      assert.equal(scan.status, 200);
      await i.waitStatus('STOPPED', 'identity_mismatch');
      await expectNotConnected(i, 'STOPPED');
      const mine = events.filter((m) => m.envelope.instance_id === i.id);
      assert.deepEqual(
        mine.map((m) => m.envelope.event),
        ['session.identity_mismatch'],
      );
      assert.deepEqual(mine[0]!.envelope.payload, { expected: '201099999999', actual: phone });
    } finally {
      off();
    }
  });

  test('the expected number, written with spaces and +, links normally', async () => {
    const phone = newPhone();
    const spaced = `+${phone.slice(0, 2)} ${phone.slice(2, 5)} ${phone.slice(5)}`;
    const i = await g.newInstance('me-expected', { expected_phone: spaced });
    await link(i, { phone });
    assert.equal((await meWhen(i, () => true)).body.id, `${phone}@c.us`);
  });
});

describe('/v2/account/stats', () => {
  test('counts WORKING instances by normalized platform', async () => {
    const first = await g.newInstance('stats-a');
    const token = first.token;
    const more = async (name: string): Promise<Instance> => {
      const res = await g.call('POST', '/v2/session/create', { query: { access_token: token }, body: { name } });
      assert.equal(res.status, 201);
      return instanceHandle(g.call, token, res.body.instance_id);
    };
    const [b, c, d, e] = [await more('stats-b'), await more('stats-c'), await more('stats-d'), await more('stats-e')];
    await link(first, { platform: 'android' });
    await link(b, { platform: 'smba', businessName: 'Acme' });
    await link(c, { platform: 'iphone' });
    await link(d, { platform: 'macos' });
    await link(e, { platform: 'smbi', businessName: 'Shop' });
    await e.call('POST', '/v2/session/stop'); // not WORKING: not counted by platform
    const stats = await g.call('GET', '/v2/account/stats', { query: { access_token: token } });
    assert.equal(stats.status, 200);
    assert.equal(stats.body.total, 5);
    assert.equal(stats.body.by_status.WORKING, 4);
    assert.equal(stats.body.by_status.STOPPED, 1);
    assert.deepEqual(stats.body.by_platform, { android: 2, ios: 1, web: 1, unknown: 0 });
  });
});

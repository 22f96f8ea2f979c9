import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createAccount, createInstance, setup, type TestApp } from './helpers.ts';

let t: TestApp;
let a: { id: string; token: string };

before(async () => {
  t = await setup();
  a = await createAccount(t, 'acme');
});
after(() => t.close());

const q = (instanceId?: string) => `access_token=${a.token}${instanceId ? `&instance_id=${instanceId}` : ''}`;

describe('GET /health', () => {
  test('status, version, sandbox, store, and the node that answered (`single` outside a cluster)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
    const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
    assert.deepEqual(res.json(), { status: 'ok', version, sandbox: false, store: 'sqlite', node: 'single' });
  });
  test('XML rendition', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health', headers: { accept: 'application/xml' } });
    assert.equal(res.headers['content-type'], 'application/xml; charset=utf-8');
    assert.match(
      res.body,
      /^<\?xml version="1.0" encoding="UTF-8"\?><health><status>ok<\/status><version>[^<]+<\/version><sandbox>false<\/sandbox><store>sqlite<\/store><node>single<\/node><\/health>$/,
    );
  });
  test('text/plain and text/html success answers are JSON', async () => {
    for (const accept of ['text/plain', 'text/html']) {
      const res = await t.app.inject({ method: 'GET', url: '/health', headers: { accept } });
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(res.json().status, 'ok');
    }
  });
});

describe('admin accounts', () => {
  test('create with defaults, list without tokens', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/accounts',
      headers: t.admin,
      payload: { name: 'Globex' },
    });
    assert.equal(res.statusCode, 201);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'id', 'max_instances', 'name']);
    assert.equal(body.max_instances, 10);
    assert.equal(body.name, 'Globex');
    assert.match(body.access_token, /^sb_[A-Za-z0-9_-]{43}$/);

    const list = await t.app.inject({ method: 'GET', url: '/admin/accounts', headers: t.admin });
    assert.equal(list.statusCode, 200);
    const found = list.json().find((x: { id: string }) => x.id === body.id);
    assert.equal(found.name, 'Globex');
    assert.equal(found.max_instances, 10);
    assert.ok(!list.body.includes(body.access_token));
    assert.ok(!list.body.includes('access_token'));
  });
  test('max_instances is honoured; bad values are 400', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/accounts',
      headers: t.admin,
      payload: { name: 'x', max_instances: 2 },
    });
    assert.equal(res.json().max_instances, 2);
    for (const bad of [-1, 1.5, '3', null]) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/admin/accounts',
        headers: t.admin,
        payload: { name: 'x', max_instances: bad },
      });
      assert.equal(r.statusCode, 400, String(bad));
      assert.deepEqual(r.json().details, { parameter: 'max_instances' });
    }
  });
  test('list as XML: repeated <item>', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/admin/accounts',
      headers: { ...t.admin, accept: 'text/xml' },
    });
    assert.equal(res.headers['content-type'], 'text/xml; charset=utf-8');
    assert.match(res.body, /^<\?xml[^>]+\?><accounts><item><id>acc_/);
  });
});

describe('POST /v2/session/create', () => {
  test('201 with the documented shape; name defaults to the instance id', async () => {
    const res = await t.app.inject({ method: 'POST', url: `/v2/session/create?${q()}` });
    assert.equal(res.statusCode, 201);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['instance_id', 'server_name', 'session_name', 'status']);
    assert.match(body.instance_id, /^[A-Za-z0-9]{12}$/);
    assert.equal(body.session_name, body.instance_id);
    assert.equal(body.server_name, 'test-server');
    assert.equal(body.status, 'STOPPED');
  });
  test('name, expected_phone (normalised), signature, webhooks accepted', async () => {
    const id = await createInstance(t, a.token, {
      name: 'sales',
      expected_phone: '+20 101-234-5678',
      signature: '\n-- {{pushName}}',
      webhooks: [],
    });
    const cfg = await t.app.inject({ method: 'POST', url: `/v2/session/config?${q(id)}` });
    assert.deepEqual(cfg.json(), {
      instance_id: id,
      name: 'sales',
      expected_phone: '201012345678',
      signature: '\n-- {{pushName}}',
    });
  });
  test('a bad expected_phone is 400 invalid_parameter', async () => {
    for (const bad of ['12345', '1234567890123456', 'abc']) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/v2/session/create?${q()}`,
        payload: { expected_phone: bad },
      });
      assert.equal(res.statusCode, 400, bad);
      assert.equal(res.json().code, 'invalid_parameter');
      assert.deepEqual(res.json().details, { parameter: 'expected_phone' });
    }
  });
  test('quota: the (max+1)th create is 403 quota_reached', async () => {
    const small = await createAccount(t, 'small', 2);
    await createInstance(t, small.token);
    await createInstance(t, small.token);
    const res = await t.app.inject({ method: 'POST', url: `/v2/session/create?access_token=${small.token}` });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().code, 'quota_reached');
    const concurrent = await Promise.all(
      [1, 2, 3].map(() => t.app.inject({ method: 'POST', url: `/v2/session/create?access_token=${small.token}` })),
    );
    assert.deepEqual(
      concurrent.map((r) => r.statusCode),
      [403, 403, 403],
    );
  });
  test('XML rendition with root <session>', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/v2/session/create?${q()}`,
      headers: { accept: 'application/xml' },
    });
    assert.equal(res.statusCode, 201);
    assert.match(res.body, /^<\?xml[^>]+\?><session><instance_id>[A-Za-z0-9]{12}<\/instance_id><session_name>/);
  });
});

describe('GET|POST /v2/session/info', () => {
  test('fresh instance: STOPPED/created, no me, one history entry', async () => {
    const id = await createInstance(t, a.token, { name: 'info-test' });
    for (const method of ['GET', 'POST'] as const) {
      const res = await t.app.inject({ method, url: `/v2/session/info?${q(id)}` });
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.equal(body.instance_id, id);
      assert.equal(body.name, 'info-test');
      assert.equal(body.status, 'STOPPED');
      assert.equal(body.reason, 'created');
      assert.ok(!Number.isNaN(Date.parse(body.updatedAt)));
      assert.deepEqual(body.config, { webhooks: {}, proxy: null });
      assert.equal(body.me, null);
      assert.equal(body.qr, undefined);
      assert.equal(body.history.length, 1);
      assert.deepEqual(Object.keys(body.history[0]).sort(), ['at', 'reason', 'status']);
      assert.equal(body.history[0].reason, 'created');
    }
  });
  test('identity and history from the store; XML with nil', async () => {
    const id = await createInstance(t, a.token);
    const now = new Date().toISOString();
    await t.store.recordStatus(id, { status: 'STARTING', reason: 'start_requested', at: now });
    await t.store.recordStatus(id, { status: 'WORKING', reason: 'connected', at: now });
    await t.store.saveIdentity(id, {
      phoneJid: '201012345678@s.whatsapp.net',
      lid: '1234@lid',
      pushName: 'John <Doe>',
      businessName: null,
      platform: 'smba',
      firstSeenAt: now,
      lastSeenAt: now,
      stale: false,
    });
    const res = await t.app.inject({ method: 'GET', url: `/v2/session/info?${q(id)}` });
    const body = res.json();
    assert.equal(body.status, 'WORKING');
    assert.equal(body.reason, 'connected');
    assert.deepEqual(body.me, { id: '201012345678@c.us', pushName: 'John <Doe>' });
    assert.deepEqual(
      body.history.map((h: { reason: string }) => h.reason),
      ['connected', 'start_requested', 'created'],
    );

    const xml = await t.app.inject({
      method: 'GET',
      url: `/v2/session/info?${q(id)}`,
      headers: { accept: 'application/xml' },
    });
    assert.ok(xml.body.includes('<me><id>201012345678@c.us</id><pushName>John &lt;Doe&gt;</pushName></me>'));
    assert.ok(xml.body.includes('<proxy nil="true"/>'));
    assert.ok(xml.body.includes('<history><item><status>WORKING</status>'));
  });
});

describe('DELETE|POST /v2/session/delete', () => {
  for (const method of ['DELETE', 'POST'] as const) {
    test(`${method}: 200 then 404 invalid_instance everywhere`, async () => {
      const id = await createInstance(t, a.token);
      const res = await t.app.inject({ method, url: `/v2/session/delete?${q(id)}` });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { instance_id: id, deleted: true });
      const again = await t.app.inject({ method, url: `/v2/session/delete?${q(id)}` });
      assert.equal(again.statusCode, 404);
      assert.equal(again.json().code, 'invalid_instance');
      const info = await t.app.inject({ method: 'GET', url: `/v2/session/info?${q(id)}` });
      assert.equal(info.statusCode, 404);
    });
  }
});

describe('POST /v2/session/config', () => {
  test('partial updates; null clears; empty body returns the config', async () => {
    const id = await createInstance(t, a.token, { name: 'cfg' });
    let res = await t.app.inject({
      method: 'POST',
      url: `/v2/session/config?${q(id)}`,
      payload: { expected_phone: '(0044) 7700 900123' },
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { instance_id: id, name: 'cfg', expected_phone: '00447700900123', signature: null });
    res = await t.app.inject({
      method: 'POST',
      url: `/v2/session/config?${q(id)}`,
      payload: { name: 'renamed', signature: 'sig' },
    });
    assert.deepEqual(res.json(), {
      instance_id: id,
      name: 'renamed',
      expected_phone: '00447700900123',
      signature: 'sig',
    });
    res = await t.app.inject({
      method: 'POST',
      url: `/v2/session/config?${q(id)}`,
      payload: { expected_phone: null, signature: null },
    });
    assert.deepEqual(res.json(), { instance_id: id, name: 'renamed', expected_phone: null, signature: null });
    res = await t.app.inject({ method: 'POST', url: `/v2/session/config?${q(id)}` });
    assert.equal(res.json().name, 'renamed');
    const info = await t.app.inject({ method: 'GET', url: `/v2/session/info?${q(id)}` });
    assert.equal(info.json().name, 'renamed');
  });
  test('invalid values are 400 naming the parameter', async () => {
    const id = await createInstance(t, a.token);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ expected_phone: '12' }, 'expected_phone'],
      [{ expected_phone: 201012345678 }, 'expected_phone'],
      [{ name: '' }, 'name'],
      [{ name: ['a'] }, 'name'],
      [{ signature: { a: 1 } }, 'signature'],
      [{ signature: 'x'.repeat(5000) }, 'signature'],
    ];
    for (const [payload, parameter] of cases) {
      const res = await t.app.inject({ method: 'POST', url: `/v2/session/config?${q(id)}`, payload });
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.equal(res.json().code, 'invalid_parameter');
      assert.deepEqual(res.json().details, { parameter });
    }
  });
  test('GET is 405 with Allow: POST', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/v2/session/config?${q()}` });
    assert.equal(res.statusCode, 405);
    assert.equal(res.headers.allow, 'POST');
  });
});

describe('/v2/account/instances and /v2/account/stats', () => {
  test('instances with status and identity; stats by status and platform (WORKING only)', async () => {
    const acc = await createAccount(t, 'stats', 10);
    const now = new Date().toISOString();
    const identity = (platform: string) => ({
      phoneJid: `2010${Math.floor(Math.random() * 1e8)}:2@s.whatsapp.net`,
      lid: null,
      pushName: null,
      businessName: 'Biz',
      platform,
      firstSeenAt: now,
      lastSeenAt: now,
      stale: false,
    });
    const mk = async (status: 'WORKING' | 'FAILED' | 'SCAN_QR_CODE' | 'STOPPED', platform?: string) => {
      const id = await createInstance(t, acc.token);
      if (status !== 'STOPPED') await t.store.recordStatus(id, { status, reason: 'x', at: now });
      if (platform) await t.store.saveIdentity(id, identity(platform));
      return id;
    };
    const w1 = await mk('WORKING', 'android');
    await mk('WORKING', 'smbi');
    await mk('WORKING', 'iphone');
    await mk('WORKING', 'web');
    await mk('WORKING', 'mystery');
    await mk('WORKING', 'smba');
    await mk('FAILED', 'android'); // not WORKING: not counted by platform
    await mk('SCAN_QR_CODE');
    await mk('STOPPED');

    const list = await t.app.inject({ method: 'GET', url: `/v2/account/instances?access_token=${acc.token}` });
    assert.equal(list.statusCode, 200);
    const items = list.json();
    assert.equal(items.length, 9);
    const first = items.find((x: { instance_id: string }) => x.instance_id === w1);
    assert.equal(first.status, 'WORKING');
    assert.match(first.me.id, /^2010\d+@c\.us$/);
    assert.equal(first.me.pushName, 'Biz');
    assert.equal(first.platform, 'android');

    const stats = await t.app.inject({ method: 'GET', url: `/v2/account/stats?access_token=${acc.token}` });
    assert.deepEqual(stats.json(), {
      total: 9,
      by_status: { STOPPED: 1, STARTING: 0, SCAN_QR_CODE: 1, WORKING: 6, FAILED: 1 },
      by_platform: { android: 2, ios: 2, web: 1, unknown: 1 },
      max_instances: 10,
    });
    const xml = await t.app.inject({
      method: 'GET',
      url: `/v2/account/instances?access_token=${acc.token}`,
      headers: { accept: 'application/xml' },
    });
    assert.match(xml.body, /^<\?xml[^>]+\?><instances>(<item>.*?<\/item>){9}<\/instances>$/);
  });
  test('empty account: zeros everywhere', async () => {
    const acc = await createAccount(t, 'empty');
    const stats = await t.app.inject({ method: 'GET', url: `/v2/account/stats?access_token=${acc.token}` });
    assert.deepEqual(stats.json(), {
      total: 0,
      by_status: { STOPPED: 0, STARTING: 0, SCAN_QR_CODE: 0, WORKING: 0, FAILED: 0 },
      by_platform: { android: 0, ios: 0, web: 0, unknown: 0 },
      max_instances: 10,
    });
  });
});

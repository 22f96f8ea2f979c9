import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { sessionMeRoutes } from '../../src/http/routes/session-me.ts';
import { createAccount, createInstance, setup, type TestApp, withoutRequestId } from './helpers.ts';

let t: TestApp;
let a: { id: string; token: string };
let b: { id: string; token: string };
let instanceA: string;

before(async () => {
  // /v2/session/me joins so the isolation sweep below covers it (its session layer: never WORKING here).
  t = await setup({ plugins: [sessionMeRoutes({ me: (_id, status) => ({ kind: 'not_connected', status }) })] });
  a = await createAccount(t, 'A');
  b = await createAccount(t, 'B');
  instanceA = await createInstance(t, a.token, { name: 'alpha' });
});
after(() => t.close());

const info = (opts: Partial<InjectOptions>) => t.app.inject({ method: 'POST', url: '/v2/session/info', ...opts });

describe('credential sources (documented precedence: query, body, headers)', () => {
  test('query', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/v2/session/info?access_token=${a.token}&instance_id=${instanceA}`,
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().instance_id, instanceA);
  });
  test('JSON body', async () => {
    const res = await info({ payload: { access_token: a.token, instance_id: instanceA, unknown_field: [1, 2] } });
    assert.equal(res.statusCode, 200);
  });
  test('form body', async () => {
    const res = await info({
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `access_token=${encodeURIComponent(a.token)}&instance_id=${instanceA}`,
    });
    assert.equal(res.statusCode, 200);
  });
  test('access-token header + X-Instance-ID', async () => {
    const res = await info({ headers: { 'access-token': a.token, 'x-instance-id': instanceA } });
    assert.equal(res.statusCode, 200);
  });
  test('Authorization: Bearer + X-Instance-ID', async () => {
    const res = await info({ headers: { authorization: `Bearer ${a.token}`, 'x-instance-id': instanceA } });
    assert.equal(res.statusCode, 200);
  });
  test('query wins over body, body over headers', async () => {
    const wrongQuery = await info({
      url: `/v2/session/info?access_token=wrong`,
      payload: { access_token: a.token, instance_id: instanceA },
    });
    assert.equal(wrongQuery.statusCode, 401);
    const wrongBody = await info({
      payload: { access_token: 'wrong', instance_id: instanceA },
      headers: { 'access-token': a.token },
    });
    assert.equal(wrongBody.statusCode, 401);
    const goodQuery = await info({
      url: `/v2/session/info?access_token=${a.token}&instance_id=${instanceA}`,
      payload: { access_token: 'wrong', instance_id: 'AAAAAAAAAAAA' },
    });
    assert.equal(goodQuery.statusCode, 200);
  });
  test('POST with Content-Type: application/json and an empty body is accepted', async () => {
    const res = await info({
      url: `/v2/session/info?access_token=${a.token}&instance_id=${instanceA}`,
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    assert.equal(res.statusCode, 200);
  });
});

describe('401 before 400', () => {
  for (const token of [undefined, '', 'sb_wrong', 'Bearer']) {
    test(`token ${JSON.stringify(token)} with instance_id missing → 401`, async () => {
      const url = token === undefined ? '/v2/session/info' : `/v2/session/info?access_token=${token}`;
      const res = await t.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().code, 'invalid_access_token');
    });
  }
  test('create with a bad body and no token → 401, not 400', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v2/session/create',
      payload: { name: 5, expected_phone: [] },
    });
    assert.equal(res.statusCode, 401);
  });
  test('valid token, instance_id missing → 400 missing_parameter instance_id', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/v2/session/info?access_token=${a.token}` });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json().details, { parameter: 'instance_id' });
    assert.equal(res.json().code, 'missing_parameter');
  });
  test('instance_id of the wrong type → 400 invalid_parameter', async () => {
    const res = await info({ payload: { access_token: a.token, instance_id: ['x'] } });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'invalid_parameter');
    assert.deepEqual(res.json().details, { parameter: 'instance_id' });
  });
  test('access_token of the wrong type → 401', async () => {
    const res = await info({ payload: { access_token: 123, instance_id: instanceA } });
    assert.equal(res.statusCode, 401);
  });
});

// The sweep over every route of the assembled gateway is test/e2e/isolation-sweep.test.ts; these few also vary the rendition.
describe('tenant isolation: another account’s instance is byte-identical to a missing one', () => {
  const routes: Array<{ method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: Record<string, unknown> }> = [
    { method: 'GET', url: '/v2/session/info' },
    { method: 'POST', url: '/v2/session/info' },
    { method: 'GET', url: '/v2/session/me' },
    { method: 'POST', url: '/v2/session/config', payload: { name: 'stolen' } },
    { method: 'DELETE', url: '/v2/session/delete' },
    { method: 'POST', url: '/v2/session/delete' },
    // The same routes under Wawp's v1 paths, and the WordPress plugin's status.
    { method: 'GET', url: '/wp-json/awp/v1/session/info' },
    { method: 'POST', url: '/wp-json/awp/v1/session/info' },
    { method: 'GET', url: '/wp-json/awp/v1/session/me' },
    { method: 'DELETE', url: '/wp-json/awp/v1/session/delete' },
    { method: 'POST', url: '/wp-json/awp/v1/session/delete' },
    { method: 'GET', url: '/wp-json/awp/v1/status' },
  ];
  for (const route of routes) {
    for (const accept of ['application/json', 'application/xml', 'text/plain', 'text/html']) {
      test(`${route.method} ${route.url} (${accept})`, async () => {
        const ask = (instanceId: string) =>
          t.app.inject({
            method: route.method,
            url: `${route.url}?access_token=${b.token}&instance_id=${instanceId}`,
            payload: route.payload,
            headers: { accept },
          });
        const foreign = await ask(instanceA);
        const missing = await ask('Zz9Zz9Zz9Zz9');
        assert.equal(foreign.statusCode, 404);
        assert.equal(missing.statusCode, 404);
        assert.equal(withoutRequestId(foreign.body), withoutRequestId(missing.body));
        assert.equal(foreign.headers['content-type'], missing.headers['content-type']);
        assert.equal(foreign.headers['content-length'], missing.headers['content-length']);
        if (accept === 'application/json') assert.equal(foreign.json().code, 'invalid_instance');
      });
    }
  }
  test('A’s instance is untouched after B’s attempts', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/v2/session/info?access_token=${a.token}&instance_id=${instanceA}`,
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().name, 'alpha');
  });
  test('B’s account views do not show A’s instances', async () => {
    const list = await t.app.inject({ method: 'GET', url: `/v2/account/instances?access_token=${b.token}` });
    assert.deepEqual(list.json(), []);
    const stats = await t.app.inject({ method: 'GET', url: `/v2/account/stats?access_token=${b.token}` });
    assert.equal(stats.json().total, 0);
  });
});

describe('admin auth', () => {
  test('no header, wrong token, access token, query token → 401', async () => {
    const attempts: InjectOptions[] = [
      { method: 'GET', url: '/admin/accounts' },
      { method: 'GET', url: '/admin/accounts', headers: { authorization: 'Bearer nope-nope-nope-nope' } },
      { method: 'GET', url: '/admin/accounts', headers: { authorization: `Bearer ${a.token}` } },
      { method: 'GET', url: `/admin/accounts?access_token=${t.adminToken}` },
      { method: 'GET', url: '/admin/accounts', headers: { 'access-token': t.adminToken } },
      { method: 'GET', url: '/admin/accounts', headers: { authorization: `Basic ${t.adminToken}` } },
    ];
    for (const req of attempts) {
      const res = await t.app.inject(req);
      assert.equal(res.statusCode, 401, `${req.url} ${JSON.stringify(req.headers)}`);
      assert.equal(res.json().code, 'invalid_access_token');
    }
  });
  test('admin token is not an access token', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/v2/account/instances?access_token=${t.adminToken}` });
    assert.equal(res.statusCode, 401);
  });
  test('401 before 400 on admin routes too', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/admin/accounts', payload: {} });
    assert.equal(res.statusCode, 401);
  });
});

describe('token revocation', () => {
  test('a revoked token stops working at once; other tokens keep working', async () => {
    const issued = await t.app.inject({ method: 'POST', url: `/admin/accounts/${a.id}/tokens`, headers: t.admin });
    assert.equal(issued.statusCode, 201);
    const { token_id, access_token } = issued.json();
    const ask = (token: string) => t.app.inject({ method: 'GET', url: `/v2/account/instances?access_token=${token}` });
    assert.equal((await ask(access_token)).statusCode, 200);
    const del = await t.app.inject({ method: 'DELETE', url: `/admin/tokens/${token_id}`, headers: t.admin });
    assert.equal(del.statusCode, 204);
    assert.equal(del.body, '');
    assert.equal((await ask(access_token)).statusCode, 401);
    assert.equal((await ask(a.token)).statusCode, 200);
    const again = await t.app.inject({ method: 'DELETE', url: `/admin/tokens/${token_id}`, headers: t.admin });
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().code, 'not_found');
  });
  test('one keep-alive connection: tokens switching and a revocation in between are each judged anew', async () => {
    // The token's hash is remembered per connection (src/http/auth.ts): it must never carry one request's answer
    // over to the next one on the same socket.
    const issued = await t.app.inject({ method: 'POST', url: `/admin/accounts/${a.id}/tokens`, headers: t.admin });
    const { token_id, access_token } = issued.json();
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const ask = (token: string, instance = instanceA) =>
      new Promise<{ status: number; instance: unknown }>((resolve, reject) => {
        const url = `${base}/v2/session/info?access_token=${encodeURIComponent(token)}&instance_id=${instance}`;
        http
          .get(url, { agent }, (res) => {
            sockets.add(res.socket);
            let body = '';
            res.on('data', (d) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode!, instance: JSON.parse(body).instance_id }));
          })
          .on('error', reject);
      });
    try {
      assert.deepEqual(await ask(access_token), { status: 200, instance: instanceA });
      assert.equal((await ask(b.token)).status, 404, "B's token names A's instance: not found, not A's answer");
      assert.equal((await ask(`${access_token}x`)).status, 401);
      assert.deepEqual(await ask(a.token), { status: 200, instance: instanceA });
      assert.equal((await ask(access_token)).status, 200);
      const del = await t.app.inject({ method: 'DELETE', url: `/admin/tokens/${token_id}`, headers: t.admin });
      assert.equal(del.statusCode, 204);
      assert.equal((await ask(access_token)).status, 401, 'revoked, on the connection that had just used it');
      assert.equal((await ask(a.token)).status, 200);
      assert.equal(sockets.size, 1, 'every request went over one connection');
    } finally {
      agent.destroy();
    }
  });
  test('unknown token id → 404; unknown account → 404', async () => {
    const del = await t.app.inject({ method: 'DELETE', url: '/admin/tokens/tok_nope', headers: t.admin });
    assert.equal(del.statusCode, 404);
    const issue = await t.app.inject({ method: 'POST', url: '/admin/accounts/acc_nope/tokens', headers: t.admin });
    assert.equal(issue.statusCode, 404);
  });
});

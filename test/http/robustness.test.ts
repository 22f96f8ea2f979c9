import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { createAccount, createInstance, setup, type TestApp } from './helpers.ts';

/** Bad input is the client's problem: never a 5xx, always one of the error bodies of docs/http-api.md "Errors". */

let t: TestApp;
let a: { id: string; token: string };
let id: string;

before(async () => {
  t = await setup();
  a = await createAccount(t, 'robust');
  id = await createInstance(t, a.token);
});
after(() => t.close());

async function expectClientError(req: InjectOptions, status?: number, code?: string) {
  const res = await t.app.inject(req);
  assert.ok(
    res.statusCode >= 400 && res.statusCode < 500,
    `${req.method} ${String(req.url).slice(0, 80)} → ${res.statusCode} ${res.body.slice(0, 200)}`,
  );
  if (status) assert.equal(res.statusCode, status, res.body.slice(0, 300));
  const body = res.json();
  assert.equal(typeof body.request_id, 'string');
  if (code) assert.equal(body.code, code);
  return res;
}

describe('bodies', () => {
  test('2 MB body → 413 payload_too_large (with and without a token)', async () => {
    const big = JSON.stringify({ access_token: a.token, instance_id: id, name: 'x'.repeat(2 * 1024 * 1024) });
    for (const url of [
      `/v2/session/config?access_token=${a.token}&instance_id=${id}`,
      '/v2/session/config',
      '/admin/accounts',
    ]) {
      await expectClientError(
        { method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: big },
        413,
        'payload_too_large',
      );
    }
  });
  test('2 MB chunked body without Content-Length → 413', async () => {
    const { Readable } = await import('node:stream');
    const chunks = Array.from({ length: 32 }, () => Buffer.alloc(64 * 1024, 'a'));
    await expectClientError(
      {
        method: 'POST',
        url: '/v2/session/create',
        headers: { 'content-type': 'application/json' },
        payload: Readable.from(chunks),
      },
      413,
      'payload_too_large',
    );
  });
  test('invalid JSON → 400 invalid_parameter body', async () => {
    for (const payload of ['{', '{"a":', 'nul', '{"a":1}}', '\u0000']) {
      const res = await expectClientError(
        {
          method: 'POST',
          url: `/v2/session/config?access_token=${a.token}&instance_id=${id}`,
          headers: { 'content-type': 'application/json' },
          payload,
        },
        400,
        'invalid_parameter',
      );
      assert.equal(res.json().details.parameter, 'body');
    }
  });
  test('a wrong token with a broken body is 401, not 400: auth comes first', async () => {
    const bad = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff]), Buffer.from('"')]);
    for (const payload of ['{bad', bad]) {
      for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
        await expectClientError(
          {
            method: 'POST',
            url: `/v2/session/config?access_token=wrong&instance_id=${id}`,
            headers: { 'content-type': type },
            payload,
          },
          401,
          'invalid_access_token',
        );
        await expectClientError(
          { method: 'POST', url: '/admin/accounts', headers: { 'content-type': type }, payload },
          401,
          'invalid_access_token',
        );
      }
    }
  });
  test('invalid UTF-8 → 400 invalid_parameter (JSON and form)', async () => {
    const bad = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
      await expectClientError(
        {
          method: 'POST',
          url: `/v2/session/config?access_token=${a.token}&instance_id=${id}`,
          headers: { 'content-type': type },
          payload: bad,
        },
        400,
        'invalid_parameter',
      );
    }
  });
  test('prototype poisoning is refused', async () => {
    await expectClientError(
      {
        method: 'POST',
        url: `/v2/session/config?access_token=${a.token}&instance_id=${id}`,
        headers: { 'content-type': 'application/json' },
        payload: '{"__proto__":{"polluted":true}}',
      },
      400,
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
  test('non-object JSON bodies are 400 (arrays, strings, numbers)', async () => {
    for (const payload of ['[1,2]', '"str"', '42', 'true']) {
      await expectClientError(
        {
          method: 'POST',
          url: `/v2/session/config?access_token=${a.token}&instance_id=${id}`,
          headers: { 'content-type': 'application/json' },
          payload,
        },
        400,
        'invalid_parameter',
      );
    }
  });
  test('a JSON body of null is refused like any other non-object body (400 invalid_parameter body)', async () => {
    for (const payload of ['null', '[]', '5', '"text"', 'true']) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/v2/session/config?access_token=${a.token}&instance_id=${id}`,
        headers: { 'content-type': 'application/json' },
        payload,
      });
      assert.equal(res.statusCode, 400, payload);
      assert.equal(res.json().code, 'invalid_parameter', payload);
      assert.equal(res.json().details.parameter, 'body', payload);
    }
  });
  test('unsupported content type → 400, not 5xx', async () => {
    await expectClientError(
      {
        method: 'POST',
        url: `/v2/session/config?access_token=${a.token}&instance_id=${id}`,
        headers: { 'content-type': 'application/octet-stream' },
        payload: 'abc',
      },
      400,
    );
  });
  test('wrong types everywhere → 400', async () => {
    const url = `/v2/session/config?access_token=${a.token}&instance_id=${id}`;
    for (const payload of [
      { name: 1 },
      { name: {} },
      { name: ['x', 'y'] },
      { signature: 1 },
      { expected_phone: true },
      { name: null },
    ]) {
      await expectClientError({ method: 'POST', url, payload }, 400, 'invalid_parameter');
    }
    for (const payload of [{ name: 1 }, { webhooks: 'x' }, { webhooks: {} }]) {
      await expectClientError(
        { method: 'POST', url: `/v2/session/create?access_token=${a.token}`, payload },
        400,
        'invalid_parameter',
      );
    }
  });
});

describe('query strings and paths', () => {
  test('arrays where strings are expected', async () => {
    await expectClientError(
      { method: 'GET', url: `/v2/session/info?access_token=${a.token}&access_token=${a.token}&instance_id=${id}` },
      401,
    );
    await expectClientError(
      { method: 'GET', url: `/v2/session/info?access_token=${a.token}&instance_id=${id}&instance_id=${id}` },
      400,
      'invalid_parameter',
    );
    await expectClientError(
      { method: 'GET', url: `/v2/session/info?access_token[]=${a.token}&instance_id=${id}` },
      401,
    );
    await expectClientError({ method: 'GET', url: `/v2/session/info?access_token[a]=x&instance_id[b]=y` }, 401);
  });
  test('huge query strings', async () => {
    const huge = 'a'.repeat(200_000);
    await expectClientError({ method: 'GET', url: `/v2/session/info?access_token=${huge}` }, 401);
    await expectClientError(
      { method: 'GET', url: `/v2/session/info?access_token=${a.token}&instance_id=${huge}` },
      404,
      'invalid_instance',
    );
    await expectClientError({ method: 'GET', url: `/v2/session/info?${'x=1&'.repeat(20_000)}` }, 401);
    await expectClientError({ method: 'GET', url: `/nope?${huge}` }, 404, 'not_found');
  });
  test('undecodable and prototype-ish query strings', async () => {
    await expectClientError({ method: 'GET', url: '/v2/session/info?access_token=%FF' }, 401);
    await expectClientError(
      { method: 'GET', url: `/v2/session/info?access_token=${a.token}&instance_id=%FF%FE` },
      404,
      'invalid_instance',
    );
    const ok = await t.app.inject({
      method: 'GET',
      url: `/v2/session/info?%=%&__proto__=1&constructor=2&access_token=${a.token}&instance_id=${id}`,
    });
    assert.equal(ok.statusCode, 200);
  });
  test('odd instance ids are simply not found', async () => {
    for (const bad of ['../../etc/passwd', '%00', "' OR 1=1 --", 'é', `${id}%00`, `${id} `]) {
      await expectClientError(
        { method: 'GET', url: `/v2/session/info?access_token=${a.token}&instance_id=${encodeURIComponent(bad)}` },
        404,
        'invalid_instance',
      );
    }
  });
  test('`../` and `%00` path tricks', async () => {
    const paths = [
      '/v2/session/../session/info',
      '/v2/session/%2e%2e/admin/accounts',
      '/admin/../v2/account/instances',
      '/v2/session/info%00',
      '/v2/session/info%00.json',
      '/%00',
      '/admin/tokens/%00',
      '/admin/accounts/..%2f..%2f/tokens',
      '/docs/static/..%2f..%2f..%2fpackage.json',
      '/docs/static/../../package.json',
      '/%',
      '/v2/session/info%zz',
      '//v2//session//info',
    ];
    for (const url of paths) {
      const res = await t.app.inject({ method: 'GET', url });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${url} → ${res.statusCode}`);
      assert.ok(!res.body.includes('"version"'), url);
      assert.ok(res.headers['x-request-id'], url);
      assert.equal(typeof res.json().code, 'string', url);
    }
  });
  test('a very long path parameter is 400 invalid_parameter path (as the OpenAPI lists it)', async () => {
    await expectClientError({ method: 'DELETE', url: `/admin/tokens/${'t'.repeat(5000)}`, headers: t.admin }, 400);
    await expectClientError(
      { method: 'POST', url: `/admin/accounts/${'a'.repeat(150)}/tokens`, headers: t.admin },
      400,
    );
  });
  test('a method a documented path lacks is never 404 (405: its methods in Allow); under an unknown prefix it is 404', async () => {
    // The 404/405 decision looks a path up only among the routes that share its leading segments (error-handler.ts
    // RouteTable): this sweep is what shows no route fell into the wrong group.
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const verbs = ['get', 'post', 'put', 'delete', 'patch'];
    let checked = 0;
    for (const [template, ops] of Object.entries(spec.paths)) {
      const url = template.replace(/\{[^}]+\}/g, 'x1');
      const documented = verbs.filter((v) => v in ops);
      const missing = verbs.find((v) => !(v in ops));
      if (!missing || documented.length === 0) continue;
      const res = await t.app.inject({ method: missing.toUpperCase() as 'GET', url, headers: t.admin });
      // Another route may serve that method on an overlapping pattern (e.g. a Wawp 501 for `…/{id}`); never 404.
      assert.notEqual(res.statusCode, 404, `${missing} ${url}: ${res.body}`);
      if (res.statusCode === 405) {
        const allow = String(res.headers.allow).split(', ');
        for (const v of documented) assert.ok(allow.includes(v.toUpperCase()), `${url}: Allow ${allow} lacks ${v}`);
        checked++;
      }
      const elsewhere = await t.app.inject({ method: 'GET', url: `/no-such-prefix${url}`, headers: t.admin });
      assert.equal(elsewhere.statusCode, 404, `/no-such-prefix${url}: ${elsewhere.body}`);
    }
    assert.ok(checked > 50, `only ${checked} paths checked`);
  });
  test('odd methods and headers', async () => {
    await expectClientError({ method: 'PATCH', url: '/health' }, 405);
    await expectClientError({ method: 'OPTIONS', url: '/v2/session/info' }, 405);
    await expectClientError({ method: 'GET', url: '/v2/session/info', headers: { authorization: 'Bearer' } }, 401);
    await expectClientError(
      { method: 'GET', url: '/v2/session/info', headers: { authorization: 'x'.repeat(10_000) } },
      401,
    );
    await expectClientError(
      { method: 'GET', url: '/v2/session/info', headers: { 'access-token': 'x'.repeat(10_000) } },
      401,
    );
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGateway, type Gateway } from '../harness/gateway.ts';
import { setup, type TestApp } from '../http/helpers.ts';
import { MISSING_ROUTES, V1_ALIASES, V1_PREFIX } from '../../src/http/wawp-catalogue.ts';
import { send } from './wire.ts';

/**
 * The catalogue of Wawp routes (src/http/wawp-catalogue.ts) as a client meets it: every route we do not build is an
 * honest 501 naming it, in all four renditions; the OpenAPI says which are implemented; unknown paths stay 404 with
 * a pointer to /docs; /sandbox/* without sandbox mode says so.
 */

let g: Gateway;
let plain: TestApp;
let doc: any;
before(async () => {
  g = await startGateway();
  plain = await setup(); // sandbox mode off
  doc = (await send(g.url, { method: 'GET', path: '/openapi.json' })).json;
});
after(async () => {
  await g.close();
  await plain.close();
});

const openapiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

describe('not implemented', () => {
  test('every catalogued Wawp route we do not build answers 501 not_implemented naming it', async () => {
    for (const route of MISSING_ROUTES) {
      for (const method of route.methods) {
        const path = route.path.replace(/:(\w+)/g, 'x1');
        const res = await send(g.url, { method, path, headers: { accept: 'application/json' } });
        assert.equal(res.status, 501, `${method} ${path}: ${res.text}`);
        assert.equal(res.json.code, 'not_implemented');
        assert.deepEqual(res.json.details, { route: openapiPath(route.path), method });
        assert.equal(
          res.json.message,
          `Not Implemented: ${method} ${openapiPath(route.path)} is a Wawp route that Switchboard does not implement`,
        );
      }
    }
  });

  test('in all four renditions', async () => {
    const path = '/v2/send/image';
    const xml = await send(g.url, { method: 'POST', path, headers: { accept: 'application/xml' } });
    assert.equal(xml.status, 501);
    assert.match(
      xml.text,
      /<error><status>501<\/status><code>not_implemented<\/code><message>Not Implemented: POST \/v2\/send\/image is a Wawp route/,
    );
    const text = await send(g.url, { method: 'POST', path, headers: { accept: 'text/plain' } });
    assert.equal(
      text.text,
      '501 not_implemented: Not Implemented: POST /v2/send/image is a Wawp route that Switchboard does not implement',
    );
    const html = await send(g.url, { method: 'POST', path, headers: { accept: 'text/html' } });
    assert.match(html.text, /<title>501 Not Implemented<\/title>/);
    assert.match(html.text, /POST \/v2\/send\/image is a Wawp route/);
  });

  test('the OpenAPI lists them under "not implemented" and every implemented v1 path under "wawp v1"', () => {
    for (const route of MISSING_ROUTES) {
      for (const method of route.methods) {
        const op = doc.paths[openapiPath(route.path)]?.[method.toLowerCase()];
        assert.ok(op, `${method} ${route.path} missing from the OpenAPI`);
        assert.deepEqual(op.tags, ['not implemented']);
        assert.ok(op.responses['501']);
      }
    }
    for (const alias of V1_ALIASES) {
      const ops = doc.paths[`${V1_PREFIX}${alias.v1}`];
      assert.ok(ops, `${alias.v1} missing`);
      for (const op of Object.values<any>(ops)) assert.deepEqual(op.tags, ['wawp v1']);
    }
  });
});

describe('unknown paths, methods and the sandbox', () => {
  test('an unknown path is 404 not_found pointing to /docs', async () => {
    const res = await send(g.url, { method: 'GET', path: '/v2/nope' });
    assert.equal(res.status, 404);
    assert.equal(res.json.code, 'not_found');
    assert.equal(res.json.message, 'Not Found: no route GET /v2/nope; the routes are listed at /docs');
  });

  test('/sandbox/* without sandbox mode says that sandbox mode is off', async () => {
    const res = await plain.app.inject({ method: 'POST', url: '/sandbox/scan', headers: plain.admin, payload: {} });
    assert.equal(res.statusCode, 404);
    assert.match(res.json().message, /sandbox mode is off/);
  });

  test('an unsupported method, QUERY included, is 405 with Allow', async () => {
    for (const method of ['QUERY', 'PUT', 'PATCH']) {
      const res = await send(g.url, { method, path: '/v2/session/info' });
      assert.equal(res.status, 405, `${method}: ${res.text}`);
      assert.equal(res.headers.allow, 'GET, HEAD, POST');
      assert.equal(res.json.code, 'method_not_allowed');
    }
  });
});

describe('the OpenAPI document', () => {
  test('every operation has a unique operationId', () => {
    const seen = new Map<string, string>();
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        assert.ok(op.operationId, `${method} ${path} has no operationId`);
        assert.ok(!seen.has(op.operationId), `${op.operationId}: ${method} ${path} and ${seen.get(op.operationId)}`);
        seen.set(op.operationId, `${method} ${path}`);
      }
    }
  });

  test('Wawp parameters are documented in the query and, for methods with a body, as an optional JSON or form body', () => {
    const post = doc.paths['/v2/send/text'].post;
    const names = post.parameters.filter((p: any) => p.in === 'query').map((p: any) => p.name);
    for (const n of ['instance_id', 'chatId', 'message', 'text', 'reply_to']) assert.ok(names.includes(n), n);
    assert.ok(
      post.parameters.every((p: any) => !p.required),
      'none required in the query: each may come in the body',
    );
    assert.equal(post.requestBody.required, false);
    const schema = post.requestBody.content['application/json'].schema;
    assert.deepEqual(schema.required, ['chatId']);
    assert.deepEqual(schema.anyOf, [{ required: ['message'] }, { required: ['text'] }]);
    assert.ok(post.requestBody.content['application/x-www-form-urlencoded']);
    assert.equal(doc.paths['/v2/send/text'].get.requestBody, undefined);
  });
});

describe('examples', () => {
  test('the main Wawp routes show an example of their body and of their answer', () => {
    const cases: Array<[string, string, string]> = [
      ['post', '/v2/session/create', '201'],
      ['post', '/v2/session/start', '200'],
      ['delete', '/v2/session/delete', '200'],
      ['post', '/v2/auth/request-code', '200'],
      ['post', '/v2/send/text', '201'],
      ['post', '/v2/send/start-typing', '200'],
      ['post', '/v2/send/seen', '200'],
    ];
    for (const [method, path, status] of cases) {
      const op = doc.paths[path][method];
      // @fastify/swagger lifts a schema's `examples` to the media type's `example` / `examples`.
      const hasExample = (media: any) => Boolean(media.example ?? media.examples ?? media.schema.examples);
      assert.ok(hasExample(op.responses[status].content['application/json']), `${method} ${path} answer example`);
      if (op.requestBody)
        assert.ok(hasExample(op.requestBody.content['application/json']), `${method} ${path} body example`);
    }
  });
});

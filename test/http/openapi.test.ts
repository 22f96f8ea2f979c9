import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setup, type TestApp } from './helpers.ts';

let t: TestApp;
before(async () => {
  t = await setup();
});
after(() => t.close());

/** Every route this foundation serves (method + OpenAPI path). */
const ROUTES = [
  'get /health',
  'post /admin/accounts',
  'get /admin/accounts',
  'post /admin/accounts/{id}/tokens',
  'delete /admin/tokens/{token_id}',
  'post /v2/session/create',
  'get /v2/session/info',
  'post /v2/session/info',
  'delete /v2/session/delete',
  'post /v2/session/delete',
  'post /v2/session/config',
  'get /v2/account/instances',
  'get /v2/account/stats',
];

describe('GET /openapi.json', () => {
  test('OpenAPI 3.1 listing every route, with auth described', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    const listed = new Set<string>();
    for (const [path, ops] of Object.entries<Record<string, unknown>>(doc.paths)) {
      for (const method of Object.keys(ops)) listed.add(`${method} ${path}`);
    }
    for (const r of ROUTES) assert.ok(listed.has(r), `${r} missing from OpenAPI`);
    assert.ok(
      !listed.has('get /openapi.json') && ![...listed].some((r) => r.split(' ')[1]!.startsWith('/docs')),
      'docs routes hidden',
    );

    const schemes = doc.components.securitySchemes;
    assert.deepEqual(schemes.accessTokenQuery, { type: 'apiKey', in: 'query', name: 'access_token' });
    assert.equal(schemes.accessTokenHeader.name, 'access-token');
    assert.equal(schemes.bearer.scheme, 'bearer');

    const info = doc.paths['/v2/session/info'].get;
    const names = info.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
    // access_token in the query is the accessTokenQuery security scheme; instance_id is a plain parameter.
    assert.ok(names.includes('query:instance_id'));
    assert.ok(info.security.length >= 3);
    assert.ok(doc.paths['/admin/accounts'].post.security[0].adminBearer);
    assert.ok(doc.paths['/admin/accounts'].post.requestBody);
    assert.ok(info.responses['404'], 'error responses documented');
    assert.equal(info.responses['404'].content['application/json'].schema.$ref, '#/components/schemas/Error');
    assert.ok(doc.components.schemas.Error.properties.request_id);
  });
  test('stays JSON even when XML is asked for', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json', headers: { accept: 'application/xml' } });
    assert.equal(res.json().openapi, '3.1.0');
  });
});

describe('GET /docs', () => {
  test('an HTML page whose assets are served locally', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /<html/i);
    const assets = [...res.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(assets.length > 0);
    for (const asset of assets) {
      assert.ok(!/^(https?:)?\/\//.test(asset), `external asset ${asset}`);
      const url = asset.startsWith('/') ? asset : `/docs/${asset.replace(/^\.\//, '')}`;
      const got = await t.app.inject({ method: 'GET', url });
      assert.equal(got.statusCode, 200, url);
    }
    const bundle = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    assert.equal(bundle.statusCode, 200);
    assert.ok(bundle.body.length > 100_000);
    const init = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    assert.equal(init.statusCode, 200);
  });
});

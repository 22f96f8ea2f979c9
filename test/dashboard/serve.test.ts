import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CONTENT_SECURITY_POLICY, loadAssets } from '../../src/dashboard/index.ts';
import { setup, type TestApp } from '../http/helpers.ts';

let t: TestApp;
before(async () => {
  t = await setup();
});
after(() => t.close());

describe('/dashboard assets', () => {
  test('the page: HTML, strict CSP, nosniff, no framing, ETag', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/dashboard' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "connect-src 'self'",
    ]) {
      assert.ok(CONTENT_SECURITY_POLICY.includes(directive), directive);
    }
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-|\*/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.match(String(res.headers.etag), /^"[A-Za-z0-9_-]+"$/);
    assert.equal((await t.app.inject({ method: 'GET', url: '/dashboard/' })).statusCode, 200);
  });

  test('If-None-Match answers 304 with no body', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/dashboard/js/app.js' });
    assert.equal(first.headers['content-type'], 'text/javascript; charset=utf-8');
    const again = await t.app.inject({
      method: 'GET',
      url: '/dashboard/js/app.js',
      headers: { 'if-none-match': String(first.headers.etag) },
    });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
  });

  test('no inline script or style in any asset; every module and stylesheet is served', async () => {
    const assets = loadAssets();
    const html = assets.find((a) => a.path === '/dashboard')!.body.toString('utf8');
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'inline <script>');
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i, 'inline style or handler');
    for (const a of assets) {
      if (a.path.endsWith('.js'))
        assert.doesNotMatch(
          a.body.toString('utf8'),
          /\.(?:inner|outer)HTML\s*=|insertAdjacentHTML|\beval\(|new Function|setAttribute\('style'/,
          a.path,
        );
    }
    for (const ref of html.matchAll(/(?:src|href)="(\/dashboard[^"]*)"/g)) {
      assert.equal((await t.app.inject({ method: 'GET', url: ref[1] })).statusCode, 200, ref[1]);
    }
  });

  test('unknown /dashboard/* paths keep the API error model; other methods are 405', async () => {
    const missing = await t.app.inject({ method: 'GET', url: '/dashboard/nope.js' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, 'not_found');
    const html = await t.app.inject({ method: 'GET', url: '/dashboard/nope', headers: { accept: 'text/html' } });
    assert.match(html.body, /<h1>404 Not Found<\/h1>/);
    const post = await t.app.inject({ method: 'POST', url: '/dashboard' });
    assert.equal(post.statusCode, 405);
    assert.equal(post.json().code, 'method_not_allowed');
  });

  test('hidden from the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.ok(Object.keys(doc.paths).length > 0);
    assert.deepEqual(
      Object.keys(doc.paths).filter((p) => p.startsWith('/dashboard')),
      [],
    );
  });
});

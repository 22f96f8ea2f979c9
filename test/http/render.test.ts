import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError, errors } from '../../src/http/api-errors.ts';
import { negotiate, renderError } from '../../src/http/renditions.ts';
import { toXml } from '../../src/http/xml.ts';

const HOSTILE = `<script>alert("x")</script> & 'q' \u0000\u0007\r\nInjected: line`;

describe('toXml', () => {
  test('objects, arrays as <item>, null as nil, numbers and booleans', () => {
    assert.equal(
      toXml('session', { a: 1, b: true, c: null, d: [1, { e: 'x' }], f: {} }),
      '<?xml version="1.0" encoding="UTF-8"?><session><a>1</a><b>true</b><c nil="true"/>' +
        '<d><item>1</item><item><e>x</e></item></d><f></f></session>',
    );
  });

  test('top-level arrays become repeated <item> under the root', () => {
    assert.equal(
      toXml('instances', [{ id: 'a' }, { id: 'b' }]),
      '<?xml version="1.0" encoding="UTF-8"?><instances><item><id>a</id></item><item><id>b</id></item></instances>',
    );
  });

  test('text is escaped and characters XML cannot carry are replaced', () => {
    const xml = toXml('x', { v: HOSTILE });
    assert.ok(!xml.includes('<script>'));
    assert.ok(xml.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;q&apos;'));
    assert.ok(!/[\u0000-\u0008]/.test(xml));
    assert.ok(xml.includes('\uFFFD\uFFFD'));
  });

  test('keys that are not XML names survive as <entry key="…">', () => {
    const xml = toXml('x', { '201@c.us': 1, '<evil a="1">': 2, '1abc': 3, xmlfoo: 4, ok_name: 5 });
    assert.ok(xml.includes('<entry key="201@c.us">1</entry>'));
    assert.ok(xml.includes('<entry key="&lt;evil a=&quot;1&quot;&gt;">2</entry>'));
    assert.ok(xml.includes('<entry key="1abc">3</entry>'));
    assert.ok(xml.includes('<entry key="xmlfoo">4</entry>'));
    assert.ok(xml.includes('<ok_name>5</ok_name>'));
  });

  test('follows the JSON rendition (toJSON, undefined dropped)', () => {
    const xml = toXml('x', { at: new Date('2026-01-01T00:00:00.000Z'), gone: undefined });
    assert.equal(xml, '<?xml version="1.0" encoding="UTF-8"?><x><at>2026-01-01T00:00:00.000Z</at></x>');
  });

  test('an invalid root name falls back to <response>', () => {
    assert.ok(toXml('<bad>', 1).endsWith('<response>1</response>'));
  });
});

describe('negotiate', () => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'json'],
    ['', 'json'],
    ['*/*', 'json'],
    ['application/xml', 'xml'],
    ['text/xml', 'xml'],
    ['text/plain', 'text'],
    ['text/html', 'html'],
    ['image/png', 'json'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'html'],
    ['text/plain, application/xml', 'text'],
    ['application/xml;q=0.5, text/plain', 'text'],
    ['text/html;q=0, application/xml', 'xml'],
    ['garbage;;;,,', 'json'],
  ];
  for (const [accept, rendition] of cases) {
    test(`${JSON.stringify(accept)} → ${rendition}`, () => assert.equal(negotiate(accept).rendition, rendition));
  }
});

describe('renderError', () => {
  const err = new ApiError(400, 'invalid_parameter', HOSTILE, { parameter: HOSTILE });

  test('JSON', () => {
    const r = renderError(errors.invalidAccessToken(), 'req_1', 'application/json');
    assert.equal(r.contentType, 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(r.payload), {
      status: 401,
      code: 'invalid_access_token',
      message: 'Unauthorized - Invalid or Missing Access Token',
      request_id: 'req_1',
    });
  });

  test('XML (documented shape)', () => {
    const r = renderError(errors.invalidAccessToken(), 'req_1', 'text/xml');
    assert.equal(r.contentType, 'text/xml; charset=utf-8');
    assert.equal(
      r.payload,
      '<?xml version="1.0" encoding="UTF-8"?><error><status>401</status><code>invalid_access_token</code>' +
        '<message>Unauthorized - Invalid or Missing Access Token</message><request_id>req_1</request_id></error>',
    );
  });

  test('plain text is one line', () => {
    assert.equal(
      renderError(errors.invalidAccessToken(), 'req_1', 'text/plain').payload,
      '401 invalid_access_token: Unauthorized - Invalid or Missing Access Token',
    );
    const hostile = renderError(err, 'req_1', 'text/plain').payload;
    assert.ok(!/[\r\n\u0000]/.test(hostile));
  });

  test('HTML is a complete page with title and h1, escaped', () => {
    const page = renderError(err, 'req_1', 'text/html').payload;
    assert.match(page, /^<!DOCTYPE html>/);
    assert.match(page, /<title>400 Bad Request<\/title>/);
    assert.match(page, /<h1>400 Bad Request<\/h1>/);
    assert.match(page, /<\/html>\s*$/);
    assert.ok(!page.includes('<script>'));
    assert.ok(page.includes('&lt;script&gt;'));
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sessionMeRoutes, type MeSource } from '../../src/http/routes/session-me.ts';
import { meEntry } from '../../src/identity/index.ts';
import type { MeAnswer } from '../../src/sessions/index.ts';
import { ManagerClosedError } from '../../src/sessions/index.ts';
import type { IdentityRecord } from '../../src/domain/index.ts';
import { ACCEPTS, createAccount, createInstance, setup, type TestApp } from './helpers.ts';
import { JOHN_DOE, ME_KEY_ORDER } from '../fixtures/identity.ts';

/**
 * GET /v2/session/me over HTTP: body bytes and key order, renditions, ETag/304, and every error status in every
 * format. The session layer is replaced by a switchable source; the sessions and e2e tests cover the real one.
 */

const RECORD: IdentityRecord = JOHN_DOE;
const EXPECTED_JSON =
  '{"id":"201012345678@c.us","pushName":"John Doe","platform":"android","me":{"id":"201012345678@c.us","name":"John Doe"},' +
  '"lid":"123456789012345@lid","displayName":"John Doe","platformRaw":"android","source":"live","updatedAt":"2026-11-26T10:00:00.000Z"}';

let current: () => MeAnswer = () => ({ kind: 'working', entry: meEntry(RECORD) });
const asked: Array<{ id: string; status: string }> = [];
const source: MeSource = {
  me(id, status) {
    asked.push({ id, status });
    return current();
  },
};

let t: TestApp;
let acc: { id: string; token: string };
let other: { id: string; token: string };
let instance: string;
before(async () => {
  t = await setup({ plugins: [sessionMeRoutes(source)] });
  acc = await createAccount(t, 'me');
  other = await createAccount(t, 'other');
  instance = await createInstance(t, acc.token, { name: 'me-inst' });
});
after(() => t.close());

const me = (headers: Record<string, string> = {}, query = `access_token=${acc.token}&instance_id=${instance}`) =>
  t.app.inject({ method: 'GET', url: `/v2/session/me?${query}`, headers });

describe('200 for a WORKING session', () => {
  test('exact Wawp shape first, extensions after, byte for byte; ETag and Cache-Control', async () => {
    const entry = meEntry(RECORD);
    current = () => ({ kind: 'working', entry });
    const res = await me();
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, EXPECTED_JSON);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'private, no-cache');
    assert.equal(res.headers.etag, entry.etag);
    assert.match(String(res.headers.etag), /^"[A-Za-z0-9_-]{27}"$/);
    assert.match(String(res.headers.vary), /Accept/);
    assert.ok(res.headers['x-request-id']);
    // The route hands the session layer the instance it authenticated and its stored status.
    assert.deepEqual(asked.at(-1), { id: instance, status: 'STOPPED' });
  });

  test('XML root <me>, both XML media types, null as nil; its own ETag', async () => {
    current = () => ({ kind: 'working', entry: meEntry({ ...RECORD, pushName: null, lid: null }) });
    const json = await me();
    for (const accept of ['application/xml', 'text/xml']) {
      const res = await me({ accept });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], `${accept}; charset=utf-8`);
      assert.equal(
        res.body,
        '<?xml version="1.0" encoding="UTF-8"?><me><id>201012345678@c.us</id><pushName nil="true"/>' +
          '<platform>android</platform><me><id>201012345678@c.us</id><name nil="true"/></me><lid nil="true"/>' +
          '<displayName>+201012345678</displayName><platformRaw>android</platformRaw><source>live</source>' +
          '<updatedAt>2026-11-26T10:00:00.000Z</updatedAt></me>',
      );
      assert.notEqual(res.headers.etag, json.headers.etag, 'another representation, another tag');
      assert.equal(res.headers['cache-control'], 'private, no-cache');
    }
  });

  test('text/plain and text/html get JSON (those renditions are for errors only)', async () => {
    current = () => ({ kind: 'working', entry: meEntry(RECORD) });
    for (const accept of [ACCEPTS.text, ACCEPTS.html]) {
      const res = await me({ accept });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(res.body, EXPECTED_JSON);
    }
  });
});

describe('If-None-Match', () => {
  const entry = meEntry(RECORD);
  const tag = entry.etag;
  const cases: Array<[string, string, number]> = [
    ['the current tag', tag, 304],
    ['weak form of the current tag (weak comparison)', `W/${tag}`, 304],
    ['a list containing it', `"nope", ${tag}, W/"other"`, 304],
    ['a list with empty elements', ` , ${tag} ,`, 304],
    ['*', '*', 304],
    ['another tag', '"AAAAAAAAAAAAAAAAAAAAAAAAAAA"', 200],
    ['a malformed header', 'garbage', 200],
    ['the tag without quotes', tag.slice(1, -1), 200],
  ];
  for (const [name, header, status] of cases) {
    test(`${name} → ${status}`, async () => {
      current = () => ({ kind: 'working', entry });
      const res = await me({ 'if-none-match': header });
      assert.equal(res.statusCode, status);
      assert.equal(res.headers.etag, tag);
      assert.equal(res.headers['cache-control'], 'private, no-cache');
      if (status === 304) {
        assert.equal(res.body, '');
        assert.equal(res.headers['content-type'], undefined);
      } else assert.equal(res.body, EXPECTED_JSON);
    });
  }

  test('a new identity gets a new tag: the old one no longer matches', async () => {
    current = () => ({ kind: 'working', entry });
    const before = await me();
    current = () => ({ kind: 'working', entry: meEntry({ ...RECORD, pushName: 'Jane' }) });
    const res = await me({ 'if-none-match': String(before.headers.etag) });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().pushName, 'Jane');
    assert.notEqual(res.headers.etag, before.headers.etag);
  });

  test('XML: its own tag revalidates; the JSON tag does not', async () => {
    current = () => ({ kind: 'working', entry });
    const xml = await me({ accept: 'application/xml' });
    assert.equal((await me({ accept: 'application/xml', 'if-none-match': String(xml.headers.etag) })).statusCode, 304);
    assert.equal((await me({ accept: 'application/xml', 'if-none-match': entry.etag })).statusCode, 200);
  });
});

describe('errors in every format', () => {
  const closed = () => {
    throw new ManagerClosedError();
  };
  const boom = () => {
    throw new Error('secret internals');
  };
  const cases: Array<{
    name: string;
    status: number;
    code: string;
    answer?: () => MeAnswer;
    query?: () => string;
    details?: unknown;
  }> = [
    { name: 'missing instance_id', status: 400, code: 'missing_parameter', query: () => `access_token=${acc.token}` },
    {
      name: 'wrong token',
      status: 401,
      code: 'invalid_access_token',
      query: () => `access_token=nope&instance_id=${instance}`,
    },
    {
      name: 'unknown instance',
      status: 404,
      code: 'invalid_instance',
      query: () => `access_token=${acc.token}&instance_id=Zz9Zz9Zz9Zz9`,
    },
    {
      name: "another account's instance",
      status: 404,
      code: 'invalid_instance',
      query: () => `access_token=${other.token}&instance_id=${instance}`,
    },
    {
      name: 'not WORKING',
      status: 404,
      code: 'session_not_connected',
      answer: () => ({ kind: 'not_connected', status: 'STOPPED' }),
      details: { status: 'STOPPED' },
    },
    {
      name: 'not WORKING (QR shown)',
      status: 404,
      code: 'session_not_connected',
      answer: () => ({ kind: 'not_connected', status: 'SCAN_QR_CODE' }),
      details: { status: 'SCAN_QR_CODE' },
    },
    { name: 'unexpected failure', status: 500, code: 'internal_error', answer: boom },
    { name: 'manager shut down', status: 502, code: 'wawp_upstream_error', answer: closed },
    { name: 'engine out of reach', status: 502, code: 'wawp_upstream_error', answer: () => ({ kind: 'unreachable' }) },
  ];
  for (const c of cases) {
    for (const [format, accept] of Object.entries(ACCEPTS)) {
      test(`${c.name} → ${c.status} ${c.code} (${format})`, async () => {
        current = c.answer ?? (() => ({ kind: 'working', entry: meEntry(RECORD) }));
        const res = await me({ accept }, c.query?.());
        assert.equal(res.statusCode, c.status);
        assert.equal(res.headers.etag, undefined);
        assert.ok(res.headers['x-request-id']);
        const type = String(res.headers['content-type']);
        if (format === 'json') {
          const body = res.json();
          assert.equal(body.code, c.code);
          assert.equal(body.status, c.status);
          assert.deepEqual(body.details, c.details ?? body.details);
          assert.ok(!res.body.includes('secret internals'));
        } else if (format === 'xml') {
          assert.match(type, /^application\/xml/);
          assert.match(
            res.body,
            new RegExp(`^<\\?xml [^>]*\\?><error><status>${c.status}</status><code>${c.code}</code>`),
          );
          if (c.details) assert.match(res.body, /<details><status>[A-Z_]+<\/status><\/details>/);
        } else if (format === 'text') {
          assert.match(type, /^text\/plain/);
          assert.match(res.body, new RegExp(`^${c.status} ${c.code}: `));
        } else {
          assert.match(type, /^text\/html/);
          assert.match(res.body, new RegExp(`<title>${c.status} `));
        }
      });
    }
  }

  test('POST → 405 with Allow: GET (the route is GET only, as Wawp)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/v2/session/me?access_token=${acc.token}&instance_id=${instance}`,
    });
    assert.equal(res.statusCode, 405);
    assert.match(String(res.headers.allow), /GET/);
  });
});

describe('OpenAPI', () => {
  test('documents the body, the ETag and the 304', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const op = doc.paths['/v2/session/me'].get;
    const ok = op.responses['200'];
    assert.deepEqual(Object.keys(ok.content['application/json'].schema.properties), ME_KEY_ORDER);
    assert.ok(ok.headers.ETag && ok.headers['Cache-Control']);
    assert.ok(op.responses['304'].headers.ETag);
    assert.equal(op.responses['304'].content, undefined);
    for (const s of ['400', '401', '404', '500', '502']) assert.ok(op.responses[s], s);
  });
});

import assert from 'node:assert/strict';
import { STATUS_CODES } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { FastifyPluginAsync, InjectOptions } from 'fastify';
import { ApiError, errors, MESSAGES } from '../../src/http/api-errors.ts';
import { DatabaseUnavailableError, asUnavailable } from '../../src/store/index.ts';
import { ACCEPTS, createAccount, setup, type TestApp } from './helpers.ts';

/** Test-only routes that provoke what real routes cannot (yet): 500, 502, 409, session_not_connected, hostile text. */
const HOSTILE = `</message><script>alert("pwn")</script>&amp;\r\nX-Evil: 1`;
const testRoutes: FastifyPluginAsync = async (app) => {
  const none = { config: { auth: 'none' as const } };
  app.get('/test/boom', none, async () => {
    throw new Error('secret internals at /etc/switchboard.db');
  });
  app.get('/test/upstream', none, async () => {
    throw errors.upstream();
  });
  app.get('/test/database', none, async () => {
    // What the PostgreSQL driver throws when a connection is refused (the real case: test/e2e/cluster-outage.test.ts).
    throw asUnavailable(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432 secret internals'), { code: 'ECONNREFUSED' }),
    );
  });
  app.get('/test/state', none, async () => {
    throw errors.invalidState('WORKING');
  });
  app.get('/test/not-connected', none, async () => {
    throw errors.sessionNotConnected('STOPPED');
  });
  app.get('/test/hostile', none, async () => {
    throw new ApiError(400, 'invalid_parameter', HOSTILE, { parameter: HOSTILE });
  });
};

let t: TestApp;
let full: { id: string; token: string };
before(async () => {
  t = await setup({ plugins: [testRoutes] });
  full = await createAccount(t, 'full', 0);
});
after(() => t.close());

interface Case {
  name: string;
  status: number;
  code: keyof typeof MESSAGES;
  request: () => InjectOptions;
  details?: Record<string, unknown>;
  /** Wawp's phrase, then the specific reason (default: the phrase alone). */
  message?: string;
}

const cases: Case[] = [
  {
    name: 'missing parameter',
    status: 400,
    code: 'missing_parameter',
    request: () => ({ method: 'POST', url: '/admin/accounts', headers: t.admin, payload: {} }),
    details: { parameter: 'name' },
    message: 'Bad Request - Missing Required Parameter(s): name is required',
  },
  {
    name: 'invalid parameter',
    status: 400,
    code: 'invalid_parameter',
    request: () => ({ method: 'POST', url: '/admin/accounts', headers: t.admin, payload: { name: 42 } }),
    details: { parameter: 'name' },
    message: 'Bad Request - Invalid Parameter: name: Expected string',
  },
  {
    name: 'no token',
    status: 401,
    code: 'invalid_access_token',
    request: () => ({ method: 'GET', url: '/v2/session/info' }),
  },
  {
    name: 'quota',
    status: 403,
    code: 'quota_reached',
    request: () => ({ method: 'POST', url: `/v2/session/create?access_token=${full.token}` }),
    message: 'Forbidden - Quota or Limit Reached: this account may have 0 instances',
  },
  {
    name: 'unknown instance',
    status: 404,
    code: 'invalid_instance',
    request: () => ({ method: 'GET', url: `/v2/session/info?access_token=${full.token}&instance_id=AAAAAAAAAAAA` }),
  },
  {
    name: 'unknown route',
    status: 404,
    code: 'not_found',
    request: () => ({ method: 'GET', url: '/nope' }),
    message: 'Not Found: no route GET /nope; the routes are listed at /docs',
  },
  {
    name: 'not connected',
    status: 404,
    code: 'session_not_connected',
    request: () => ({ method: 'GET', url: '/test/not-connected' }),
    details: { status: 'STOPPED' },
    message: 'Not Found - Session Is Not Connected: the session is STOPPED',
  },
  {
    name: 'wrong method',
    status: 405,
    code: 'method_not_allowed',
    request: () => ({ method: 'PUT', url: '/v2/session/info' }),
    message: 'Method Not Allowed: use GET, HEAD, POST',
  },
  {
    name: 'invalid state',
    status: 409,
    code: 'invalid_state',
    request: () => ({ method: 'GET', url: '/test/state' }),
    details: { status: 'WORKING' },
    message: 'Conflict - Not Allowed In Current Status: the session is WORKING',
  },
  {
    name: 'payload too large',
    status: 413,
    code: 'payload_too_large',
    request: () => ({
      method: 'POST',
      url: '/v2/session/create',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
    }),
  },
  { name: 'unexpected', status: 500, code: 'internal_error', request: () => ({ method: 'GET', url: '/test/boom' }) },
  {
    name: 'upstream',
    status: 502,
    code: 'wawp_upstream_error',
    request: () => ({ method: 'GET', url: '/test/upstream' }),
  },
  {
    name: 'database unreachable',
    status: 503,
    code: 'database_unavailable',
    request: () => ({ method: 'GET', url: '/test/database' }),
  },
];

test('database errors: only unreachability is database_unavailable', () => {
  const err = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
  for (const e of [
    err('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
    err('read ECONNRESET', 'ECONNRESET'),
    err('terminating connection due to administrator command', '57P01'),
    err('the database system is starting up', '57P03'),
    err('connection failure', '08006'),
    err('Connection terminated unexpectedly'),
    err('timeout exceeded when trying to connect'),
  ]) {
    assert.ok(asUnavailable(e) instanceof DatabaseUnavailableError, e.message);
  }
  for (const e of [err('duplicate key value', '23505'), err('syntax error', '42601'), err('boom')]) {
    assert.equal(asUnavailable(e), e, e.message);
  }
});

describe('every error status in every rendition', () => {
  for (const c of cases) {
    for (const [format, accept] of Object.entries(ACCEPTS)) {
      test(`${c.status} ${c.code} (${c.name}) as ${format}`, async () => {
        const req = c.request();
        const res = await t.app.inject({ ...req, headers: { ...(req.headers ?? {}), accept } });
        assert.equal(res.statusCode, c.status, res.body);
        const requestId = res.headers['x-request-id'];
        assert.ok(typeof requestId === 'string' && requestId.length > 0);
        assert.ok(String(res.headers['content-type']).startsWith(accept), String(res.headers['content-type']));
        const message = c.message ?? MESSAGES[c.code];
        // Nothing internal leaks from a 500.
        assert.ok(!res.body.includes('secret internals'));
        switch (format) {
          case 'json': {
            const body = res.json();
            assert.equal(body.status, c.status);
            assert.equal(body.code, c.code);
            assert.equal(body.message, message);
            assert.equal(body.request_id, requestId);
            if (c.details) assert.deepEqual(body.details, c.details);
            break;
          }
          case 'xml':
            assert.ok(
              res.body.startsWith(
                `<?xml version="1.0" encoding="UTF-8"?><error><status>${c.status}</status><code>${c.code}</code>` +
                  `<message>${message}</message><request_id>${requestId}</request_id>`,
              ),
              res.body,
            );
            assert.ok(res.body.endsWith('</error>'));
            break;
          case 'text':
            assert.equal(res.body, `${c.status} ${c.code}: ${message}`);
            break;
          case 'html': {
            const title = `${c.status} ${STATUS_CODES[c.status]}`;
            assert.ok(res.body.includes(`<title>${title}</title>`), res.body);
            assert.ok(res.body.includes(`<h1>${title}</h1>`));
            assert.ok(res.body.includes(message));
            assert.match(res.body, /<\/html>\s*$/);
            break;
          }
        }
        if (c.status === 405) assert.equal(res.headers.allow, 'GET, HEAD, POST');
      });
    }
  }
});

describe('hostile text is escaped in every rendition', () => {
  test('JSON keeps it as data', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/test/hostile' });
    assert.equal(res.json().message, HOSTILE);
    assert.equal(res.json().details.parameter, HOSTILE);
  });
  test('XML', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/test/hostile', headers: { accept: 'application/xml' } });
    assert.ok(!res.body.includes('<script>'));
    assert.ok(!res.body.includes('</message><script>'));
    assert.ok(res.body.includes('&lt;/message&gt;&lt;script&gt;alert(&quot;pwn&quot;)&lt;/script&gt;&amp;amp;'));
    assert.equal(res.body.match(/<message>/g)?.length, 1);
  });
  test('plain text stays one line', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/test/hostile', headers: { accept: 'text/plain' } });
    assert.ok(!/[\r\n]/.test(res.body));
    assert.ok(res.body.startsWith('400 invalid_parameter: '));
  });
  test('HTML', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/test/hostile', headers: { accept: 'text/html' } });
    assert.ok(!res.body.includes('<script>'));
    assert.ok(res.body.includes('&lt;script&gt;'));
  });
});

describe('request ids', () => {
  test('a sane incoming X-Request-Id is kept and echoed', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': 'trace-abc.123' } });
    assert.equal(res.headers['x-request-id'], 'trace-abc.123');
    assert.equal(res.json().request_id, 'trace-abc.123');
  });
  test('an insane one is replaced', async () => {
    for (const bad of ['<script>', 'a'.repeat(200), 'has space', '']) {
      const res = await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': bad } });
      assert.notEqual(res.headers['x-request-id'], bad);
      assert.match(String(res.headers['x-request-id']), /^req_[A-Za-z0-9_-]+$/);
    }
  });
  test('success responses carry one too, unique per request', async () => {
    const a = await t.app.inject({ method: 'GET', url: '/health' });
    const b = await t.app.inject({ method: 'GET', url: '/health' });
    assert.ok(a.headers['x-request-id']);
    assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
  });
});

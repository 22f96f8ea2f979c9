import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AccessLog } from '../../src/http/access-log.ts';
import { createLogger, redactUrl } from '../../src/http/pino-logger.ts';
import { createAccount, createInstance, setup, type TestApp } from './helpers.ts';

/** Captures every log line the app writes. */
class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString('utf8');
    cb();
  }
}

const boom: FastifyPluginAsync = async (app) => {
  app.get('/test/boom', { config: { auth: 'none' } }, async () => {
    throw new Error('kaboom');
  });
};

let t: TestApp;
let capture: Capture;
let a: { id: string; token: string };
let id: string;

before(async () => {
  capture = new Capture();
  t = await setup({ logger: createLogger({ level: 'trace', destination: capture }), plugins: [boom] });
  a = await createAccount(t, 'logs');
  id = await createInstance(t, a.token);
});
after(() => t.close());

describe('tokens never reach the logs', () => {
  test('query, JSON body, form body, access-token header, Authorization header, admin token', async () => {
    const requests = [
      { method: 'GET' as const, url: `/v2/session/info?access_token=${a.token}&instance_id=${id}` },
      { method: 'GET' as const, url: `/v2/session/info?instance_id=${id}&access%5Ftoken=${a.token}` },
      { method: 'GET' as const, url: `/v2/session/info?access_token=${a.token}` }, // 400 path
      { method: 'GET' as const, url: `/nope?access_token=${a.token}` }, // 404 path
      { method: 'POST' as const, url: '/v2/session/info', payload: { access_token: a.token, instance_id: id } },
      {
        method: 'POST' as const,
        url: '/v2/session/info',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `access_token=${a.token}&instance_id=${id}`,
      },
      { method: 'POST' as const, url: '/v2/session/info', headers: { 'access-token': a.token, 'x-instance-id': id } },
      {
        method: 'POST' as const,
        url: '/v2/session/info',
        headers: { authorization: `Bearer ${a.token}`, 'x-instance-id': id },
      },
      { method: 'GET' as const, url: '/admin/accounts', headers: t.admin },
      {
        method: 'POST' as const,
        url: `/v2/session/config?access_token=${a.token}&instance_id=${id}`,
        payload: '{bad json',
        headers: { 'content-type': 'application/json' },
      },
      { method: 'GET' as const, url: `/test/boom?access_token=${a.token}` },
    ];
    const from = capture.text.length;
    for (const req of requests) await t.app.inject(req);
    const issued = await t.app.inject({
      method: 'POST',
      url: '/admin/accounts',
      headers: t.admin,
      payload: { name: 'n' },
    });
    const issuedToken = issued.json().access_token;

    // The logger did log these requests (so the absence below means something).
    assert.match(capture.text, /"url":"\/v2\/session\/info\?access_token=\[REDACTED\]&instance_id=/);
    assert.match(capture.text, /access%5Ftoken=\[REDACTED\]/);
    assert.match(capture.text, /kaboom/);
    // One access line per request (Fastify's "incoming request" line is not written).
    const lines = capture.text
      .slice(from)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    assert.equal(lines.filter((l) => l.msg === 'request completed').length, requests.length + 1);
    assert.equal(lines.filter((l) => l.msg === 'incoming request').length, 0);

    for (const secret of [a.token, t.adminToken, issuedToken, a.token.slice(3)]) {
      assert.ok(!capture.text.includes(secret), `a token appears in the logs`);
    }
  });

  test('the 500 log line carries the request id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/test/boom', headers: { 'x-request-id': 'boom-req-1' } });
    assert.equal(res.statusCode, 500);
    const line = capture.text.split('\n').find((l) => l.includes('boom-req-1') && l.includes('unexpected error'));
    assert.ok(line, 'error logged with request id');
    assert.equal(JSON.parse(line).level, 50);
  });
});

describe('access lines', () => {
  test('SWITCHBOARD_ACCESS_LOG=0: no access line, other lines (errors) still written', async () => {
    const quiet = new Capture();
    const q = await setup({
      logger: createLogger({ level: 'info', destination: quiet }),
      plugins: [boom],
      accessLog: false,
    });
    try {
      assert.equal((await q.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
      assert.equal(
        (await q.app.inject({ method: 'GET', url: '/test/boom', headers: { 'x-request-id': 'quiet-1' } })).statusCode,
        500,
      );
      const lines = quiet.text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        lines.filter((l) => l.msg === 'request completed'),
        [],
      );
      assert.equal(lines.filter((l) => l.msg === 'unexpected error' && l.reqId === 'quiet-1').length, 1);
    } finally {
      await q.close();
    }
  });

  test('an access line: method, redacted URL, status, response time, request id', async () => {
    const from = capture.text.length;
    await t.app.inject({
      method: 'GET',
      url: `/v2/session/info?access_token=${a.token}&instance_id=${id}`,
      headers: { 'x-request-id': 'acc-1' },
    });
    const line = JSON.parse(
      capture.text
        .slice(from)
        .split('\n')
        .find((l) => l.includes('acc-1'))!,
    );
    assert.equal(line.msg, 'request completed');
    assert.equal(line.level, 30);
    assert.equal(line.req.method, 'GET');
    assert.equal(line.req.url, `/v2/session/info?access_token=[REDACTED]&instance_id=${id}`);
    assert.equal(line.res.statusCode, 200);
    assert.equal(typeof line.responseTime, 'number');
  });
});

describe('the hand-built access line', () => {
  test("reads exactly like pino's own line for the same request (strange URLs and hosts included)", () => {
    const built = new Capture();
    const viaPino = new Capture();
    // A destination that asks for metadata is written through pino itself (AccessLog's fallback path).
    Object.assign(viaPino, { [pino.symbols.needsMetadataGsym]: true });
    const logs = [built, viaPino].map(
      (dest) => new AccessLog(createLogger({ level: 'info', destination: dest, pretty: false }), true),
    );
    const requests = [
      {
        id: 'req_1',
        method: 'GET',
        url: `/v2/session/me?access_token=${a.token}&instance_id=x`,
        host: 'h:1',
        ip: '::1',
      },
      { id: 'r"2', method: 'POST', url: '/a"b\\c?access%5Ftoken=zz&q=é', host: 'we"ird\u0001', ip: '127.0.0.1' },
      { id: 'req_3', method: 'DELETE', url: '/x', host: undefined, ip: undefined },
    ];
    for (const request of requests)
      for (const log of logs)
        log.requestCompleted(
          null,
          request as unknown as FastifyRequest,
          {
            statusCode: 204,
            elapsedTime: 1.25,
          } as unknown as FastifyReply,
        );
    const parse = (c: Capture) =>
      c.text
        .split('\n')
        .filter(Boolean)
        .map((l) => ({ ...JSON.parse(l), time: 0 }));
    assert.equal(parse(built).length, requests.length);
    assert.deepEqual(parse(built), parse(viaPino));
    // Byte for byte, key order included, once the clock is set aside.
    const untimed = (c: Capture) => c.text.replace(/"time":\d+/g, '"time":0');
    assert.equal(untimed(built), untimed(viaPino));
    assert.ok(!built.text.includes(a.token));
  });
});

describe('redactUrl', () => {
  test('cases', () => {
    assert.equal(redactUrl('/x'), '/x');
    assert.equal(redactUrl('/x?a=1'), '/x?a=1');
    assert.equal(
      redactUrl('/x?access_token=s&a=1&access_token=t'),
      '/x?access_token=[REDACTED]&a=1&access_token=[REDACTED]',
    );
    assert.equal(redactUrl('/x?ACCESS_TOKEN=s'), '/x?ACCESS_TOKEN=[REDACTED]');
    assert.equal(
      redactUrl('/x?access_token[]=s&access-token=t'),
      '/x?access_token[]=[REDACTED]&access-token=[REDACTED]',
    );
    assert.equal(redactUrl('/x?access_token'), '/x?access_token=[REDACTED]');
    assert.equal(redactUrl('/x?%E0=1&access%5ftoken=s'), '/x?%E0=1&access%5ftoken=[REDACTED]');
    // Queries without escapes take a one-pass path: same answers.
    assert.equal(redactUrl('/x?+access_token=s&b=2'), '/x?+access_token=[REDACTED]&b=2');
    assert.equal(redactUrl('/x?a=access_token&xaccess_token=1'), '/x?a=access_token&xaccess_token=1');
    assert.equal(redactUrl('/x?a=1&Access-Token=s=t&'), '/x?a=1&Access-Token=[REDACTED]&');
    assert.equal(redactUrl('/x?a=1&access_token=s%20t'), '/x?a=1&access_token=[REDACTED]');
  });
});

describe('line format', () => {
  test('pretty (as on a terminal): human-readable, not JSON, tokens still redacted', () => {
    const out = new Capture();
    const log = createLogger({ level: 'info', destination: out, pretty: true });
    log.info({ access_token: 'secret-token-value', instanceId: 'abc123' }, 'session status');
    const line = out.text.trim();
    assert.match(line, /INFO/);
    assert.match(line, /session status/);
    assert.match(line, /instanceId: "abc123"/);
    assert.ok(!line.includes('secret-token-value'));
    assert.throws(() => JSON.parse(line));
  });

  test('JSON when not pretty (the default for any destination other than a terminal)', () => {
    const out = new Capture();
    createLogger({ level: 'info', destination: out }).info({ instanceId: 'abc123' }, 'session status');
    const line = JSON.parse(out.text.trim()) as Record<string, unknown>;
    assert.equal(line.msg, 'session status');
    assert.equal(line.level, 30);
  });
});

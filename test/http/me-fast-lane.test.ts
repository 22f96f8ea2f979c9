import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyPluginAsync } from 'fastify';
import { MeFastLane } from '../../src/http/me-fast-lane.ts';
import { createLogger } from '../../src/http/pino-logger.ts';
import { sessionMeRoutes, type MeSource } from '../../src/http/routes/session-me.ts';
import { meEntry } from '../../src/identity/index.ts';
import type { MeAnswer } from '../../src/sessions/index.ts';
import { ManagerClosedError } from '../../src/sessions/index.ts';
import type { InstanceRecord } from '../../src/store/index.ts';
import { JOHN_DOE } from '../fixtures/identity.ts';
import { createAccount, createInstance, setup, type TestApp } from './helpers.ts';

/**
 * The /me fast lane (src/http/me-fast-lane.ts) over real HTTP: the plain call is answered before Fastify with exactly
 * the answer Fastify's route gives (compared with app.inject, which never takes the lane), and every other call
 * reaches Fastify's route. Which path answered is seen from outside: an onRequest hook on the route's plugin counts
 * the calls that reached Fastify.
 */

const entry = meEntry(JOHN_DOE);
let current: () => MeAnswer = () => ({ kind: 'working', entry });
const source: MeSource = { me: () => current() };

let reachedFastify = 0;
const countedMeRoute: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', (_request, _reply, done) => {
    reachedFastify++;
    done();
  });
  await app.register(sessionMeRoutes(source));
};

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString('utf8');
    cb();
  }
  lines(): Array<Record<string, unknown>> {
    return this.text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  socket: unknown;
}

/** One HTTP client with one keep-alive connection per app. */
function client(base: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const call = (path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    new Promise<Answer>((resolve, reject) => {
      const req = http.request(
        `${base}${path}`,
        { agent, method: opts.method ?? 'GET', headers: opts.headers },
        (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, socket: res.socket }));
        },
      );
      req.on('error', reject);
      req.end(opts.body);
    });
  return { call, close: () => agent.destroy() };
}

/** The headers both paths must agree on: all but the per-response ones. */
function comparable(headers: Record<string, unknown>): Record<string, unknown> {
  const { date: _d, connection: _c, 'keep-alive': _k, 'x-request-id': id, ...rest } = headers;
  assert.ok(typeof id === 'string' && id.length > 0, 'every answer carries a request id');
  return rest;
}

let t: TestApp;
let base: string;
let http1: ReturnType<typeof client>;
let acc: { id: string; token: string };
let other: { id: string; token: string };
let instance: string;
const capture = new Capture();

before(async () => {
  t = await setup({
    logger: createLogger({ level: 'info', destination: capture }),
    plugins: [countedMeRoute],
    me: source,
  });
  acc = await createAccount(t, 'lane');
  other = await createAccount(t, 'other');
  instance = await createInstance(t, acc.token, { name: 'lane' });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  http1 = client(base);
});
after(async () => {
  http1.close();
  await t.close();
});

const mePath = (query = `access_token=${acc.token}&instance_id=${instance}`) => `/v2/session/me?${query}`;

let sameIds = 0;
/** The HTTP answer, whether it reached Fastify, and what Fastify's route answers to the same request (inject). */
async function both(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  // One request id for both, so that error bodies (which carry it) can be compared byte for byte.
  const headers = { 'x-request-id': `same-${++sameIds}`, ...opts.headers };
  opts = { ...opts, headers };
  const before = reachedFastify;
  const viaHttp = await http1.call(path, opts);
  const reached = reachedFastify - before;
  const viaFastify = await t.app.inject({
    method: (opts.method ?? 'GET') as 'GET',
    url: path,
    headers: opts.headers,
    ...(opts.body === undefined ? {} : { payload: opts.body }),
  });
  return { viaHttp, reached, viaFastify };
}

function assertSameAnswer(viaHttp: Answer, viaFastify: { statusCode: number; headers: object; body: string }) {
  assert.equal(viaHttp.status, viaFastify.statusCode);
  assert.equal(viaHttp.body, viaFastify.body);
  assert.deepEqual(comparable(viaHttp.headers), comparable(viaFastify.headers as Record<string, unknown>));
}

describe('the plain call', () => {
  test("answered before Fastify, with Fastify's answer: status, headers (same order), body", async () => {
    current = () => ({ kind: 'working', entry });
    // The first call fills the auth cache through Fastify (the lane never reads the store).
    await http1.call(mePath());
    for (const path of [mePath(), mePath(`instance_id=${instance}&access_token=${acc.token}`)]) {
      const { viaHttp, reached, viaFastify } = await both(path);
      assert.equal(reached, 0, `${path}: answered by the lane`);
      assert.equal(viaHttp.status, 200);
      assertSameAnswer(viaHttp, viaFastify);
      const order = (h: Record<string, unknown>) => Object.keys(comparable(h));
      assert.deepEqual(order(viaHttp.headers), order(viaFastify.headers as Record<string, unknown>));
    }
  });

  test('the access line: one per call, the same fields as a Fastify request line, token redacted', async () => {
    current = () => ({ kind: 'working', entry });
    await http1.call(mePath());
    const before = reachedFastify;
    await http1.call(mePath(), { headers: { 'x-request-id': 'lane-call-1' } });
    assert.equal(reachedFastify, before, 'the lane answered');
    // A call of the same shape that Fastify answers (If-None-Match with another tag: still 200, the full body).
    await http1.call(mePath(), { headers: { 'x-request-id': 'fastify-call-1', 'if-none-match': '"other"' } });
    assert.equal(reachedFastify, before + 1);
    await new Promise((r) => setTimeout(r, 250)); // the batched destination writes within 100 ms
    const lines = capture.lines();
    const lane = lines.filter((l) => l.reqId === 'lane-call-1');
    assert.equal(lane.length, 1, 'exactly one line for the call');
    const fastify = lines.filter((l) => l.reqId === 'fastify-call-1');
    assert.equal(fastify.length, 1);
    assert.deepEqual(Object.keys(lane[0]!), Object.keys(fastify[0]!), 'same keys, same order');
    assert.deepEqual(lane[0]!.req, fastify[0]!.req);
    assert.deepEqual(lane[0]!.res, { statusCode: 200 });
    assert.equal(lane[0]!.msg, 'request completed');
    assert.equal(typeof lane[0]!.responseTime, 'number');
    assert.match(String((lane[0]!.req as { url: string }).url), /access_token=\[REDACTED\]/);
    assert.equal(capture.text.includes(acc.token), false, 'no token in any line');
  });
});

describe('everything else reaches Fastify, and gets what Fastify answers', () => {
  const cases: Array<
    [string, () => { path: string; method?: string; headers?: Record<string, string>; body?: string }]
  > = [
    ['HEAD', () => ({ path: mePath(), method: 'HEAD' })],
    ['Accept: application/xml', () => ({ path: mePath(), headers: { accept: 'application/xml' } })],
    ['Accept preferring XML', () => ({ path: mePath(), headers: { accept: 'text/xml, application/json;q=0.5' } })],
    ['If-None-Match with the current tag (304)', () => ({ path: mePath(), headers: { 'if-none-match': entry.etag } })],
    ['another parameter', () => ({ path: `${mePath()}&x=1` })],
    [
      'a percent-escaped parameter name',
      () => ({ path: mePath(`access%5Ftoken=${acc.token}&instance_id=${instance}`) }),
    ],
    ['a trailing slash', () => ({ path: `/v2/session/me/?access_token=${acc.token}&instance_id=${instance}` })],
    [
      'the token in a header',
      () => ({ path: `/v2/session/me?instance_id=${instance}`, headers: { 'access-token': acc.token } }),
    ],
    ['a wrong token (401)', () => ({ path: mePath(`access_token=${acc.token}x&instance_id=${instance}`) })],
    ["another account's token (404)", () => ({ path: mePath(`access_token=${other.token}&instance_id=${instance}`) })],
    ['an unknown instance (404)', () => ({ path: mePath(`access_token=${acc.token}&instance_id=AAAAAAAAAAAA`) })],
    ['the instance id missing (400)', () => ({ path: mePath(`access_token=${acc.token}&instance_id=`) })],
    [
      'a request body',
      () => ({ path: mePath(), headers: { 'content-type': 'application/json', 'content-length': '2' }, body: '{}' }),
    ],
  ];
  for (const [name, make] of cases) {
    test(name, async () => {
      current = () => ({ kind: 'working', entry });
      await http1.call(mePath()); // the auth cache holds the plain call's answers
      const { path, ...opts } = make();
      const { viaHttp, reached, viaFastify } = await both(path, opts);
      assert.equal(reached, 1, 'reached Fastify');
      assertSameAnswer(viaHttp, viaFastify);
    });
  }

  test('an instance that is not WORKING (404 session_not_connected)', async () => {
    current = () => ({ kind: 'working', entry });
    await http1.call(mePath());
    current = () => ({ kind: 'not_connected', status: 'SCAN_QR_CODE' });
    const { viaHttp, reached, viaFastify } = await both(mePath());
    assert.equal(reached, 1);
    assert.equal(viaHttp.status, 404);
    assert.equal(JSON.parse(viaHttp.body).code, 'session_not_connected');
    assertSameAnswer(viaHttp, viaFastify);
  });

  test('the session layer closing: Fastify gives the error', async () => {
    current = () => {
      throw new ManagerClosedError();
    };
    const { viaHttp, reached, viaFastify } = await both(mePath());
    assert.equal(reached, 1);
    assert.notEqual(viaHttp.status, 200);
    assertSameAnswer(viaHttp, viaFastify);
  });

  test('a token revoked between two calls on one keep-alive connection: 401 at once', async () => {
    current = () => ({ kind: 'working', entry });
    const issued = await t.app.inject({ method: 'POST', url: `/admin/accounts/${acc.id}/tokens`, headers: t.admin });
    const { token_id, access_token } = issued.json();
    const path = mePath(`access_token=${access_token}&instance_id=${instance}`);
    await http1.call(path);
    const before = reachedFastify;
    const first = await http1.call(path);
    assert.equal(first.status, 200);
    assert.equal(reachedFastify, before, 'the lane answered');
    const del = await t.app.inject({ method: 'DELETE', url: `/admin/tokens/${token_id}`, headers: t.admin });
    assert.equal(del.statusCode, 204);
    const second = await http1.call(path);
    assert.equal(second.status, 401);
    assert.equal(JSON.parse(second.body).code, 'invalid_access_token');
    assert.equal(second.socket, first.socket, 'same connection');
  });
});

describe('MeFastLane', () => {
  const record = { id: 'I1', accountId: 'A1', status: 'WORKING' } as InstanceRecord;
  const request = (headers: Record<string, string> = {}) =>
    ({
      method: 'GET',
      url: '/v2/session/me?access_token=sb_token&instance_id=I1',
      headers,
      socket: { remoteAddress: '127.0.0.1' },
    }) as unknown as IncomingMessage;
  const response = () => {
    const calls: unknown[][] = [];
    return {
      calls,
      res: {
        writeHead: (...a: unknown[]) => calls.push(['writeHead', ...a]),
        end: (...a: unknown[]) => calls.push(['end', ...a]),
      } as unknown as ServerResponse,
    };
  };
  const lane = (holdsLease?: (id: string) => boolean) =>
    new MeFastLane({
      authCache: { cachedInstance: (_hash, id) => (id === 'I1' ? record : undefined) },
      me: { me: () => ({ kind: 'working', entry }) },
      accessLog: null,
      holdsLease,
    });

  test('several nodes: answers only for an instance whose lease this node holds', () => {
    const away = response();
    assert.equal(lane(() => false).serve(request(), away.res), false);
    assert.deepEqual(away.calls, [], 'nothing written: Fastify forwards the call');
    const here = response();
    assert.equal(lane(() => true).serve(request(), here.res), true);
    assert.equal(here.calls.length, 2);
    assert.deepEqual(here.calls[1], ['end', entry.json]);
  });

  test('a call that claims to be forwarded goes to Fastify (its signature is checked there)', () => {
    const r = response();
    assert.equal(lane().serve(request({ 'x-switchboard-forward-node': 'n2' }), r.res), false);
    assert.deepEqual(r.calls, []);
  });

  test('once closing, nothing is answered here', () => {
    const l = lane();
    const r = response();
    l.close();
    assert.equal(l.serve(request(), r.res), false);
    assert.deepEqual(r.calls, []);
  });
});

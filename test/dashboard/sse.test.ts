import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
// The page's own module, run as is: plain ES module JavaScript with no DOM dependency.
import { openEventStream, sseParser } from '../../src/dashboard/public/js/sse.js';

function streamOf(chunks: string[]): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

function run(response: Response) {
  return new Promise<{
    envelopes: unknown[];
    revoked?: unknown;
    ended?: unknown;
    answer?: unknown;
    headers: Record<string, string>;
  }>((resolve) => {
    const envelopes: unknown[] = [];
    let headers: Record<string, string> = {};
    openEventStream({
      url: '/v2/events/sse',
      headers: { 'access-token': 'tok' },
      lastEventId: '7',
      fetchImpl: async (_url: string, init: { headers: Record<string, string> }) => {
        headers = init.headers;
        return response;
      },
      onEnvelope: (e: unknown) => envelopes.push(e),
      onRevoked: (body: unknown) => resolve({ envelopes, revoked: body, headers }),
      onEnd: (reason: unknown, answer?: unknown) => resolve({ envelopes, ended: reason, answer, headers }),
    });
  });
}

describe('dashboard SSE reader', () => {
  test('parses fields, comments, multi-line data and every line ending, across chunk borders', () => {
    const got: unknown[] = [];
    const push = sseParser((m: unknown) => got.push(m));
    push('retry: 2000\n\n: ping\r\n\r\nid: 5\ndata: {"a"');
    push(':1}\n\nevent: error\r');
    push('\ndata: x\ndata: y\r\rid: 6\n');
    push('data: z\n\n');
    assert.deepEqual(got, [
      { event: 'message', data: '{"a":1}', id: '5' },
      { event: 'error', data: 'x\ny', id: '5' },
      { event: 'message', data: 'z', id: '6' },
    ]);
  });

  test('the token goes in a header and Last-Event-ID resumes; envelopes come through; a plain end is an end', async () => {
    const r = await run(streamOf(['retry: 2000\n\n', 'id: 8\ndata: {"event":"session.status"}\n\n']));
    assert.equal(r.headers['access-token'], 'tok');
    assert.equal(r.headers['last-event-id'], '7');
    assert.deepEqual(r.envelopes, [{ event: 'session.status' }]);
    assert.equal(r.ended, 'closed');
    assert.equal(r.revoked, undefined);
  });

  test('an `event: error` with status 401 (token revoked) is a revocation', async () => {
    const data = JSON.stringify({
      status: 401,
      code: 'invalid_access_token',
      message: 'Unauthorized - Invalid or Missing Access Token',
      reason: 'token_revoked',
    });
    const r = await run(streamOf([`event: error\ndata: ${data}\n\n`, 'data: {"never":true}\n\n']));
    assert.deepEqual(r.revoked, JSON.parse(data));
    assert.deepEqual(r.envelopes, []);
  });

  test('a 401 answer is a revocation; another failure is an end', async () => {
    const body = JSON.stringify({
      status: 401,
      code: 'invalid_access_token',
      message: 'Unauthorized - Invalid or Missing Access Token',
    });
    assert.equal((await run(new Response(body, { status: 401 }))).revoked !== undefined, true);
    const refused = { status: 429, code: 'quota_reached', message: 'Forbidden - Quota or Limit Reached' };
    const other = await run(new Response(JSON.stringify(refused), { status: 429 }));
    assert.equal(other.ended, 'Forbidden - Quota or Limit Reached');
    assert.deepEqual(other.answer, { status: 429, body: refused });
  });
});

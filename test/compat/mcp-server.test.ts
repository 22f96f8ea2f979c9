import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { qs, receivedText, send, sandboxWithLinkedInstance } from './wire.ts';

/**
 * Wawp's MCP server (Whatsapp-Automation-web-platform/wawp-mcp-server, src/index.ts): list_endpoints reads
 * `GET /api/docs/raw`, get_session_health `GET /v2/session/info?…`, execute_request sends `access-token` and
 * `Content-Type: application/json` on every call, credentials in the query for GET/DELETE and in the JSON body
 * for POST/PUT.
 */

const ctx = sandboxWithLinkedInstance('mcp');

/** execute_request(path, method, body, params), as the tool builds the fetch. */
function executeRequest(
  reqPath: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  body: Record<string, unknown> = {},
  params: Record<string, string> = {},
) {
  const creds = { instance_id: ctx.l.instance.id, access_token: ctx.l.instance.token };
  let url = reqPath.replace('{instance_id}', ctx.l.instance.id);
  let payload: string | undefined;
  if (method === 'GET' || method === 'DELETE') url += (url.includes('?') ? '&' : '?') + qs({ ...params, ...creds });
  else {
    payload = JSON.stringify({ ...body, ...creds });
    if (Object.keys(params).length > 0) url += (url.includes('?') ? '&' : '?') + qs(params);
  }
  return send(ctx.g.url, {
    method,
    path: url,
    headers: { 'content-type': 'application/json', 'access-token': ctx.l.instance.token },
    body: method === 'POST' || method === 'PUT' ? payload : undefined,
  });
}

describe('MCP server', () => {
  test('list_endpoints: GET /api/docs/raw lists endpoints with path, title and category (no auth)', async () => {
    const res = await send(ctx.g.url, { method: 'GET', path: '/api/docs/raw' });
    assert.equal(res.status, 200, res.text);
    const endpoints = res.json.endpoints as Array<{ path: string; title: string; category: string }>;
    assert.ok(Array.isArray(endpoints) && endpoints.length > 20);
    for (const e of endpoints) {
      assert.equal(typeof e.path, 'string');
      assert.ok(e.title.length > 0, e.path);
      assert.ok(e.category.length > 0, e.path);
    }
    const paths = new Set(endpoints.map((e) => e.path));
    for (const p of [
      '/v2/session/info',
      '/v2/send/text',
      '/v2/send/seen',
      '/v2/send/start-typing',
      '/wp-json/awp/v1/send',
    ])
      assert.ok(paths.has(p), p);
    // Only what can be called: the 501 routes are not offered.
    assert.ok(!paths.has('/v2/send/image'));
    const sendCategory = endpoints.filter((e) => e.category === 'send').map((e) => e.path);
    assert.ok(sendCategory.includes('/v2/send/text'));
  });

  test('get_session_health: GET /v2/session/info with query credentials', async () => {
    const res = await send(ctx.g.url, {
      method: 'GET',
      path: `/v2/session/info?instance_id=${ctx.l.instance.id}&access_token=${ctx.l.instance.token}`,
    });
    assert.equal(res.status, 200);
    assert.equal(res.json.status, 'WORKING');
  });

  test('execute_request: POST with credentials in the JSON body, GET and DELETE with them in the query', async () => {
    const sent = await executeRequest('/v2/send/text', 'POST', {
      chatId: ctx.l.contact,
      message: 'from the MCP server',
    });
    assert.equal(sent.status, 201, sent.text);
    assert.equal(sent.json.chatId, `${ctx.l.contact}@c.us`);
    await receivedText(ctx.g, ctx.l.contact, 'from the MCP server');
    const me = await executeRequest('/v2/session/me', 'GET');
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.id, `${ctx.l.phone}@c.us`);
    const typing = await executeRequest('/v2/send/start-typing', 'POST', { chatId: `${ctx.l.contact}@c.us` });
    assert.equal(typing.status, 200, typing.text);
    const other = await ctx.g.newInstance('mcp-delete');
    const del = await send(ctx.g.url, {
      method: 'DELETE',
      path: `/v2/session/delete?${qs({ instance_id: other.id, access_token: other.token })}`,
      headers: { 'content-type': 'application/json', 'access-token': other.token },
    });
    assert.equal(del.status, 200, del.text);
    assert.equal(del.json.deleted, true);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { activityWhen, contactWrites, receivedText, send, sandboxWithLinkedInstance } from './wire.ts';

/**
 * Wawp's Python SDK (Whatsapp-Automation-web-platform/wawp-sdk-python, wawp_sdk/client.py): base
 * `https://api.wawp.net/v2/`, `Authorization: Bearer <token>` + `X-Instance-ID`, bodies as JSON (`requests`'
 * `json=`). On a non-2xx answer it raises "Wawp API Error (<status>): <message>", with `message` from the answer.
 */

const ctx = sandboxWithLinkedInstance('python');

/** WawpClient.request(method, path, json=…) as `requests` puts it on the wire. */
function sdk(method: string, path: string, json?: Record<string, unknown>) {
  const headers: Record<string, string> = {
    'user-agent': 'python-requests/2.32.3',
    'accept-encoding': 'gzip, deflate',
    accept: '*/*',
    connection: 'keep-alive',
    authorization: `Bearer ${ctx.l.instance.token}`,
    'x-instance-id': ctx.l.instance.id,
  };
  if (json !== undefined) headers['content-type'] = 'application/json';
  return send(ctx.g.url, {
    method,
    path: `/v2/${path}`,
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
  });
}

/** What the SDK returns or raises. */
function outcome(res: {
  status: number;
  json: any;
  text: string;
}): { ok: true; data: any } | { ok: false; error: string } {
  if (res.status >= 200 && res.status < 300) return { ok: true, data: res.json };
  return { ok: false, error: `Wawp API Error (${res.status}): ${res.json?.message ?? res.text}` };
}

describe('Python SDK', () => {
  test('messaging.send_text(chat_id, message): POST send/text {chatId, message}', async () => {
    const res = outcome(await sdk('POST', 'send/text', { chatId: `${ctx.l.contact}@c.us`, message: 'hi from python' }));
    assert.ok(res.ok);
    assert.ok(res.data.id);
    assert.equal(res.data.chatId, `${ctx.l.contact}@c.us`);
    await receivedText(ctx.g, ctx.l.contact, 'hi from python');
  });

  test('messaging.mark_seen(chat_id): POST send/seen {chatId} reads the chat’s unread messages', async () => {
    const id = await contactWrites(ctx.g, ctx.l, 'ping from the contact');
    // mark_seen names no message: the gateway must already hold it as unread.
    const deadline = Date.now() + 15_000;
    let marked: string[] = [];
    while (Date.now() < deadline && !marked.includes(id)) {
      const res = outcome(await sdk('POST', 'send/seen', { chatId: `${ctx.l.contact}@c.us` }));
      assert.ok(res.ok, JSON.stringify(res));
      marked = res.data.messageIds;
      if (!marked.includes(id)) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(marked.includes(id), 'the unread message was marked');
    await activityWhen(ctx.g, ctx.l.contact, (all) =>
      all.some((e) => e.kind === 'receipt' && e.message_ids.includes(id)),
    );
  });

  test('session info (README: info["status"]) with Bearer + X-Instance-ID', async () => {
    const res = outcome(await sdk('GET', 'session/info'));
    assert.ok(res.ok);
    assert.equal(res.data.status, 'WORKING');
  });

  test('errors raise with a message that says what is wrong', async () => {
    const bad = outcome(await sdk('POST', 'send/text', { chatId: 'not-a-number', message: 'x' }));
    assert.ok(!bad.ok);
    assert.match(
      bad.error,
      /^Wawp API Error \(400\): Bad Request - Invalid Parameter: chatId must be a phone number or a JID/,
    );
    const missing = outcome(await sdk('POST', 'send/text', { chatId: `${ctx.l.contact}@c.us` }));
    assert.ok(!missing.ok);
    assert.equal(
      missing.error,
      'Wawp API Error (400): Bad Request - Missing Required Parameter(s): message is required',
    );
    const image = outcome(
      await sdk('POST', 'send/image', { chatId: `${ctx.l.contact}@c.us`, url: 'https://example.com/a.png' }),
    );
    assert.ok(!image.ok);
    assert.match(image.error, /^Wawp API Error \(501\): Not Implemented: POST \/v2\/send\/image is a Wawp route/);
  });
});

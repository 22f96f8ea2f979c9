import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  activityWhen,
  contactWrites,
  linkedInstance,
  n8nQs,
  receivedText,
  sandboxWithLinkedInstance,
  scanningInstance,
  send,
} from './wire.ts';

/**
 * The n8n community node (Whatsapp-Automation-web-platform/n8n-nodes-wawp, nodes/Wawp/Wawp.node.ts): Wawp's v1
 * paths, credentials in the query of every request, `json: true` (Accept: application/json, no body), arrays in
 * bracket-index form. n8n hands the parsed JSON to the workflow and fails the node on any non-2xx status.
 */

const V1 = '/wp-json/awp/v1';
/** What n8n's request helper sends with `json: true` and no body. */
const N8N_HEADERS = { accept: 'application/json', 'user-agent': 'n8n' };

const ctx = sandboxWithLinkedInstance('n8n');

/** requestWithAuthentication: the credential's qs ({instance_id, access_token}) joins the operation's qs. */
function n8n(
  method: string,
  path: string,
  params: Record<string, string | string[]> = {},
  creds = { instance_id: ctx.l.instance.id, access_token: ctx.l.instance.token },
) {
  return send(ctx.g.url, { method, path: `${V1}/${path}?${n8nQs({ ...params, ...creds })}`, headers: N8N_HEADERS });
}

describe('n8n node, Wawp v1 paths', () => {
  test('credential test: GET session/info with the credentials in the query is 2xx JSON', async () => {
    const res = await n8n('GET', 'session/info');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.instance_id, ctx.l.instance.id);
    assert.equal(res.json.status, 'WORKING');
  });

  test('createSession?name=…&access_token=… (no instance id) creates a named instance', async () => {
    const res = await send(ctx.g.url, {
      method: 'POST',
      path: `${V1}/createSession?${n8nQs({ name: 'from-n8n', access_token: ctx.l.instance.token })}`,
      headers: N8N_HEADERS,
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.session_name, 'from-n8n');
    assert.match(res.json.instance_id, /^[A-Za-z0-9]{12}$/);
  });

  test('send?chatId=…&message=… (no body) sends the text; the contact receives it', async () => {
    const res = await n8n('POST', 'send', { chatId: `${ctx.l.contact}@c.us`, message: 'hello from n8n' });
    assert.equal(res.status, 201, res.text);
    assert.ok(res.json.id);
    assert.equal(res.json.chatId, `${ctx.l.contact}@c.us`);
    await receivedText(ctx.g, ctx.l.contact, 'hello from n8n');
  });

  test('startTyping / stopTyping?chatId=…: the contact sees composing, then paused', async () => {
    const start = await n8n('POST', 'startTyping', { chatId: `${ctx.l.contact}@c.us` });
    assert.equal(start.status, 200, start.text);
    const stop = await n8n('POST', 'stopTyping', { chatId: `${ctx.l.contact}@c.us` });
    assert.equal(stop.status, 200, stop.text);
    const seen = await activityWhen(ctx.g, ctx.l.contact, (all) =>
      all.some((e) => e.kind === 'presence' && e.state === 'paused'),
    );
    const states = seen.filter((e) => e.kind === 'presence' && e.from === ctx.l.phone).map((e) => e.state);
    assert.deepEqual(states.filter((s) => s === 'composing' || s === 'paused').slice(-2), ['composing', 'paused']);
  });

  test('sendSeen?chatId[0]=…&messageIds[][0]=…: the contact gets a read receipt for its message', async () => {
    const id = await contactWrites(ctx.g, ctx.l, 'are you there?');
    // The message reaches the gateway asynchronously; the receipt names it either way.
    const res = await n8n('POST', 'sendSeen', { chatId: [`${ctx.l.contact}@c.us`], 'messageIds[]': [id] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.messageIds, [id]);
    await activityWhen(ctx.g, ctx.l.contact, (all) =>
      all.some((e) => e.kind === 'receipt' && e.type === 'read' && e.message_ids.includes(id)),
    );
  });

  test('session/me is the linked account', async () => {
    const res = await n8n('GET', 'session/me');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.id, `${ctx.l.phone}@c.us`);
  });

  test('getQr?format=raw and getQr (image) on an instance showing a QR; requestCode?phone_number=…', async () => {
    const i = await scanningInstance(ctx.g, 'n8n-qr');
    const creds = { instance_id: i.id, access_token: i.token };
    const raw = await n8n('GET', 'getQr', { format: 'raw' }, creds);
    assert.equal(raw.status, 200, raw.text);
    assert.match(raw.json.value, /^https:\/\/wa\.me\/settings\/linked_devices#/);
    const image = await n8n('GET', 'getQr', {}, creds);
    assert.equal(image.status, 200, image.text);
    assert.match(image.json.qr, /^data:image\/png;base64,/);
    const code = await n8n('POST', 'requestCode', { phone_number: '201098765432' }, creds);
    assert.equal(code.status, 200, code.text);
    assert.match(code.json.code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  });

  test('session/stop, start, restart (POST), logout (GET), delete (DELETE) answer 2xx JSON with instance_id', async () => {
    const other = await linkedInstance(ctx.g, 'n8n-life');
    const creds = { instance_id: other.instance.id, access_token: other.instance.token };
    for (const [method, path] of [
      ['POST', 'session/stop'],
      ['POST', 'session/start'],
      ['POST', 'session/restart'],
      ['GET', 'session/logout'],
    ] as const) {
      const res = await n8n(method, path, {}, creds);
      assert.equal(res.status, 200, `${path}: ${res.text}`);
      assert.equal(res.json.instance_id, other.instance.id, path);
    }
    const del = await n8n('DELETE', 'session/delete', {}, creds);
    assert.equal(del.status, 200, del.text);
    assert.deepEqual(del.json, { instance_id: other.instance.id, deleted: true });
  });

  test('an operation Switchboard does not build (sendImage) fails the node with 501 naming the route', async () => {
    const res = await n8n('POST', 'sendImage', {
      chatId: `${ctx.l.contact}@c.us`,
      'file[url]': 'https://example.com/a.png',
    });
    assert.equal(res.status, 501);
    assert.equal(res.json.code, 'not_implemented');
    assert.match(res.json.message, /POST \/wp-json\/awp\/v1\/sendImage/);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  activityWhen,
  contactWrites,
  qs,
  receivedText,
  scanningInstance,
  send,
  sandboxWithLinkedInstance,
} from './wire.ts';

/**
 * Wawp's documented request samples (docs/wawp-clients.md "Wawp's documented request samples"): the one-line URL
 * with every parameter in the query (POST, and GET where listed), the JavaScript `fetch` sample (credentials in the
 * query, the rest as JSON, `Content-Type: application/json` always), the v1 cURL samples (everything in the query,
 * no body, no content type), and the form body a `curl -d` or a PHP form post sends.
 */

const ctx = sandboxWithLinkedInstance('samples');

const JSON_HEADER = { 'content-type': 'application/json' };
const creds = () => ({ instance_id: ctx.l.instance.id, access_token: ctx.l.instance.token });

describe('Wawp v2 samples: every parameter in the query', () => {
  test('POST and GET /v2/send/text?access_token&chatId&instance_id&message&reply_to, no body', async () => {
    for (const method of ['POST', 'GET']) {
      const text = `query-only ${method}`;
      const path = `/v2/send/text?${qs({ ...creds(), chatId: `${ctx.l.contact}@c.us`, message: text, reply_to: 'false_111...AAAA' })}`;
      const res = await send(ctx.g.url, { method, path });
      assert.equal(res.status, 201, `${method}: ${res.text}`);
      assert.equal(res.json.body, text);
      await receivedText(ctx.g, ctx.l.contact, text);
    }
  });

  test('the sample URL with the sample headers: Content-Type: application/json and an empty body', async () => {
    const path = `/v2/send/text?${qs({ ...creds(), chatId: ctx.l.contact, message: 'json header, no body' })}`;
    const res = await send(ctx.g.url, { method: 'POST', path, headers: JSON_HEADER });
    assert.equal(res.status, 201, res.text);
  });

  test('session/create?access_token&name: the name is used; start answers instance_id', async () => {
    const created = await send(ctx.g.url, {
      method: 'POST',
      path: `/v2/session/create?${qs({ access_token: ctx.l.instance.token, name: 'from-query' })}`,
      headers: JSON_HEADER,
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.session_name, 'from-query');
    const id = created.json.instance_id as string;
    const start = await send(ctx.g.url, {
      method: 'POST',
      path: `/v2/session/start?${qs({ instance_id: id, access_token: ctx.l.instance.token })}`,
      headers: JSON_HEADER,
    });
    assert.equal(start.status, 200, start.text);
    assert.equal(start.json.instance_id, id);
  });

  test('auth/request-code?…&phone_number=…', async () => {
    const i = await scanningInstance(ctx.g, 'samples-code');
    const res = await send(ctx.g.url, {
      method: 'POST',
      path: `/v2/auth/request-code?${qs({ instance_id: i.id, access_token: i.token, phone_number: '201145202826' })}`,
    });
    assert.equal(res.status, 200, res.text);
    assert.match(res.json.code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  });

  test('send/start-typing and send/stop-typing?…&chatId; send/seen?…&chatId&messageIds=["false_…_id"]&participant=null', async () => {
    for (const path of ['start-typing', 'stop-typing']) {
      const res = await send(ctx.g.url, {
        method: 'POST',
        path: `/v2/send/${path}?${qs({ ...creds(), chatId: `${ctx.l.contact}@c.us` })}`,
      });
      assert.equal(res.status, 200, res.text);
    }
    const id = await contactWrites(ctx.g, ctx.l, 'seen me?');
    const ids = JSON.stringify([`false_${ctx.l.contact}@c.us_${id}`]);
    const seen = await send(ctx.g.url, {
      method: 'POST',
      path: `/v2/send/seen?${qs({ ...creds(), chatId: `${ctx.l.contact}@c.us`, messageIds: ids, participant: 'null' })}`,
    });
    assert.equal(seen.status, 200, seen.text);
    assert.deepEqual(seen.json.messageIds, [id]);
    await activityWhen(ctx.g, ctx.l.contact, (all) =>
      all.some((e) => e.kind === 'receipt' && e.message_ids.includes(id)),
    );
  });
});

describe('Wawp v2 fetch samples: credentials in the query, parameters as JSON', () => {
  test('send/text, auth/qr {format:"raw"}, send/seen {chatId, messageIds, participant:"null"}', async () => {
    const q = qs(creds());
    const text = await send(ctx.g.url, {
      method: 'POST',
      path: `/v2/send/text?${q}`,
      headers: JSON_HEADER,
      body: JSON.stringify({ chatId: `${ctx.l.contact}@c.us`, message: 'fetch sample' }),
    });
    assert.equal(text.status, 201, text.text);
    const i = await scanningInstance(ctx.g, 'samples-qr');
    const qr = await send(ctx.g.url, {
      method: 'POST',
      path: `/v2/auth/qr?${qs({ instance_id: i.id, access_token: i.token })}`,
      headers: JSON_HEADER,
      body: JSON.stringify({ format: 'raw' }),
    });
    assert.equal(qr.status, 200, qr.text);
    assert.match(qr.json.value, /^https:\/\/wa\.me\/settings\/linked_devices#/);
    const id = await contactWrites(ctx.g, ctx.l, 'fetch seen');
    const seen = await send(ctx.g.url, {
      method: 'POST',
      path: `/v2/send/seen?${q}`,
      headers: JSON_HEADER,
      body: JSON.stringify({
        chatId: `${ctx.l.contact}@c.us`,
        messageIds: [`false_${ctx.l.contact}@c.us_${id}`],
        participant: 'null',
      }),
    });
    assert.equal(seen.status, 200, seen.text);
    assert.deepEqual(seen.json.messageIds, [id]);
  });

  test('GET with Content-Type: application/json and no body (session/info, session/me)', async () => {
    for (const path of ['/v2/session/info', '/v2/session/me']) {
      const res = await send(ctx.g.url, { method: 'GET', path: `${path}?${qs(creds())}`, headers: JSON_HEADER });
      assert.equal(res.status, 200, `${path}: ${res.text}`);
    }
  });
});

describe('v1 cURL samples and form bodies', () => {
  test('curl --request POST …/wp-json/awp/v1/startTyping?instance_id&access_token&chatId (no body, no content type)', async () => {
    const res = await send(ctx.g.url, {
      method: 'POST',
      path: `/wp-json/awp/v1/startTyping?${qs({ ...creds(), chatId: `${ctx.l.contact}@c.us` })}`,
    });
    assert.equal(res.status, 200, res.text);
  });

  test('curl -d: an urlencoded form body carries every parameter', async () => {
    const body = qs({ ...creds(), chatId: ctx.l.contact, message: 'form body' });
    const res = await send(ctx.g.url, {
      method: 'POST',
      path: '/v2/send/text',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    assert.equal(res.status, 201, res.text);
    await receivedText(ctx.g, ctx.l.contact, 'form body');
  });

  test('precedence: a parameter in the query wins over the same one in the body', async () => {
    const res = await send(ctx.g.url, {
      method: 'POST',
      path: `/v2/send/text?${qs({ ...creds(), message: 'query wins' })}`,
      headers: JSON_HEADER,
      body: JSON.stringify({ chatId: ctx.l.contact, message: 'body loses' }),
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.body, 'query wins');
  });
});

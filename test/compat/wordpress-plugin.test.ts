import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { activityWhen, qs, receivedText, send, sandboxWithLinkedInstance } from './wire.ts';

/**
 * Wawp's WordPress/WooCommerce plugin (marrco970/Wawp-Wordpress-Woocommerce-Plugin): base
 * `<host>/wp-json/awp/v1/` (filter wawp_api_base_url), credentials in a JSON body for sending and typing
 * (includes/class-wawp-api-url.php), in the query for its instance checks (includes/class-instances.php).
 */

const V1 = '/wp-json/awp/v1';

/**
 * Wawp_Api_Url::do_request and typing_action headers as they reach the wire (wp_remote_request over cURL, which adds
 * Accept-Encoding). The plugin's `'Expect' => ''` is absent: cURL drops a custom header whose value is empty (the
 * usual way to suppress `Expect: 100-continue`).
 */
const WP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json',
  connection: 'keep-alive',
  'x-forwarded-for': '203.0.113.7',
  'x-real-ip': '203.0.113.7',
  'user-agent': 'WAWP-Client/1.3 (+WordPress)',
  'accept-encoding': 'deflate, gzip',
};

const ctx = sandboxWithLinkedInstance('wordpress');

/** wp_json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE): plain JSON.stringify output. */
const wpPost = (route: string, body: Record<string, unknown>) =>
  send(ctx.g.url, { method: 'POST', path: `${V1}/${route}`, headers: WP_HEADERS, body: JSON.stringify(body) });

/** is_successful / the message the plugin shows: 2xx, then `message` ?? 'Message sent.' (error: `message`). */
function pluginOutcome(res: { status: number; json: any }): { status: 'success' | 'error'; message: string } {
  const ok = res.status >= 200 && res.status < 300;
  return {
    status: ok ? 'success' : 'error',
    message: String(res.json?.message ?? (ok ? 'Message sent.' : 'awp Connector returned an error.')),
  };
}

describe('WordPress plugin', () => {
  test('send_message: startTyping, send, stopTyping with credentials in JSON bodies; the contact gets text and typing', async () => {
    const creds = { instance_id: ctx.l.instance.id, access_token: ctx.l.instance.token };
    const chatId = `${ctx.l.contact}@c.us`; // format_phone_pair: digits + '@c.us'
    const message = 'Your order #1001 is on its way\n\nUnique ID: AbC123xY\nMessage ID: Zz9Yy8Xx';
    const typing = await wpPost('startTyping', { ...creds, chatId });
    assert.equal(typing.status, 200, typing.text);
    const sent = await wpPost('send', { ...creds, chatId, message });
    assert.equal(sent.status, 201, sent.text);
    assert.deepEqual(pluginOutcome(sent), { status: 'success', message: 'Message sent.' });
    assert.ok(sent.json.id, 'the log keeps the answer, id included');
    assert.equal((await wpPost('stopTyping', { ...creds, chatId })).status, 200);
    await receivedText(ctx.g, ctx.l.contact, message);
    await activityWhen(ctx.g, ctx.l.contact, (all) => {
      const states = all.filter((e) => e.kind === 'presence' && e.from === ctx.l.phone).map((e) => e.state);
      return states.includes('composing') && states.at(-1) === 'paused';
    });
  });

  test('a refused send shows the reason in `message` (the only part the plugin shows)', async () => {
    const res = await wpPost('send', {
      instance_id: ctx.l.instance.id,
      access_token: ctx.l.instance.token,
      chatId: '@c.us',
      message: 'x',
    });
    assert.equal(res.status, 400);
    const outcome = pluginOutcome(res);
    assert.equal(outcome.status, 'error');
    assert.match(outcome.message, /^Bad Request - Invalid Parameter: chatId must be a phone number or a JID/);
  });

  test('instance check: GET session/info?instance_id&access_token is 200 with status WORKING', async () => {
    const res = await send(ctx.g.url, {
      method: 'GET',
      path: `${V1}/session/info?${qs({ instance_id: ctx.l.instance.id, access_token: ctx.l.instance.token })}`,
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(String(res.json.status).toUpperCase(), 'WORKING'); // mapped to "online"
  });

  test('adding an instance: GET status?instance_id&access_token answers status "Online" only when WORKING', async () => {
    const path = (id: string, token: string) => `${V1}/status?${qs({ instance_id: id, access_token: token })}`;
    const online = await send(ctx.g.url, { method: 'GET', path: path(ctx.l.instance.id, ctx.l.instance.token) });
    assert.equal(online.status, 200, online.text);
    assert.equal(online.json.status.toLowerCase(), 'online');
    const idle = await ctx.g.newInstance('wp-idle');
    const offline = await send(ctx.g.url, { method: 'GET', path: path(idle.id, idle.token) });
    assert.equal(offline.status, 200, offline.text);
    assert.notEqual(offline.json.status.toLowerCase(), 'online');
    const wrong = await send(ctx.g.url, { method: 'GET', path: path(ctx.l.instance.id, 'sb_not_a_token') });
    assert.equal(wrong.status, 401);
  });
});

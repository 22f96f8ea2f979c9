import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/gateway/index.ts';
import { InstanceRegistry } from '../../../src/tenancy/index.ts';
import { loadConfig } from '../../../src/config.ts';
import { WebhookService } from '../../../src/webhooks/index.ts';
import { webhookRoutes } from '../../../src/http/routes/webhooks.ts';
import { newId } from '../../../src/lib/index.ts';
import { openStore } from '../../../src/store/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { bootstrapAdminToken } from '../../../src/tenancy/index.ts';

/** The webhook routes over HTTP (inject) on a real SQLite store, with the address rules ON (no private URLs). */

const ADMIN = { authorization: `Bearer ${'webhook-admin-token-0123456789'}` };
let dir: string;
let store: Store;
let app: FastifyInstance;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-webhook-routes-'));
  store = await openStore({ dataDir: dir });
  await bootstrapAdminToken(store, 'webhook-admin-token-0123456789');
  const config = { ...loadConfig({}, []), dataDir: dir };
  const webhooks = new WebhookService(store, randomBytes(32), { allowPrivate: false });
  const registry = new InstanceRegistry(store);
  app = buildApp({ config, store, registry, plugins: [webhookRoutes(webhooks, registry)], webhooks, serverName: 't' });
  await app.ready();
});
after(async () => {
  await app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function account(): Promise<{ id: string; token: string }> {
  const res = await app.inject({ method: 'POST', url: '/admin/accounts', headers: ADMIN, payload: { name: 'a' } });
  return { id: res.json().id, token: res.json().access_token };
}

async function create(token: string, body: Record<string, unknown> = {}) {
  return app.inject({ method: 'POST', url: `/v2/session/create?access_token=${token}`, payload: body });
}

const PUBLIC = 'http://8.8.8.8/hook';

describe('/v2/session/webhook and /v2/account/webhook', () => {
  test('POST replaces by URL: secrets shown once, kept URLs keep id and secret; GET never shows secrets', async () => {
    const acc = await account();
    const id = (await create(acc.token)).json().instance_id;
    const url = `/v2/session/webhook?access_token=${acc.token}&instance_id=${id}`;
    const first = await app.inject({
      method: 'POST',
      url,
      payload: {
        webhooks: [
          { url: PUBLIC, events: ['session.status'] },
          { url: 'https://1.1.1.1/x', is_active: false },
        ],
      },
    });
    assert.equal(first.statusCode, 200);
    const [a, b] = first.json().webhooks;
    assert.match(a.secret, /^whsec_/);
    assert.deepEqual(
      { url: a.url, events: a.events, is_active: a.is_active },
      { url: PUBLIC, events: ['session.status'], is_active: true },
    );
    assert.deepEqual(
      { url: b.url, events: b.events, is_active: b.is_active },
      { url: 'https://1.1.1.1/x', events: ['*'], is_active: false },
    );

    const listed = await app.inject({ method: 'GET', url });
    // Oldest first; two made in the same millisecond may come either way.
    assert.deepEqual(
      listed
        .json()
        .webhooks.map((w: { id: string }) => w.id)
        .sort(),
      [a.id, b.id].sort(),
    );
    assert.ok(listed.json().webhooks.every((w: object) => !('secret' in w)));

    const second = await app.inject({ method: 'POST', url, payload: { webhooks: [{ url: PUBLIC, events: ['*'] }] } });
    const [kept] = second.json().webhooks;
    assert.equal(kept.id, a.id);
    assert.equal(kept.secret, undefined, 'not shown again');
    assert.deepEqual(kept.events, ['*']);
    assert.equal((await app.inject({ method: 'GET', url })).json().webhooks.length, 1, 'the URL left out is gone');
    assert.match(
      (await app.inject({ method: 'GET', url, headers: { accept: 'application/xml' } })).body,
      /^<\?xml.*<webhook><webhooks><item>/s,
    );
  });

  test('refused URLs are 400 invalid_parameter naming the field; nothing is saved', async () => {
    const acc = await account();
    const id = (await create(acc.token)).json().instance_id;
    const url = `/v2/session/webhook?access_token=${acc.token}&instance_id=${id}`;
    for (const bad of [
      'http://127.0.0.1/x',
      'http://10.1.1.1/x',
      'http://169.254.169.254/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://localhost:3000/',
      'ftp://8.8.8.8/',
    ]) {
      const res = await app.inject({ method: 'POST', url, payload: { webhooks: [{ url: PUBLIC }, { url: bad }] } });
      assert.equal(res.statusCode, 400, bad);
      assert.equal(res.json().code, 'invalid_parameter');
      assert.equal(res.json().details.parameter, 'webhooks.1.url');
      assert.ok(res.json().details.reason, 'says why');
    }
    const dup = await app.inject({ method: 'POST', url, payload: { webhooks: [{ url: PUBLIC }, { url: PUBLIC }] } });
    assert.equal(dup.json().details.parameter, 'webhooks.1.url');
    const noEvents = await app.inject({ method: 'POST', url, payload: { webhooks: [{ url: PUBLIC, events: [] }] } });
    assert.equal(noEvents.json().details.parameter, 'webhooks.0.events');
    const missing = await app.inject({ method: 'POST', url, payload: {} });
    assert.equal(missing.json().code, 'missing_parameter');
    assert.equal((await app.inject({ method: 'GET', url })).json().webhooks.length, 0);
  });

  test('create takes webhooks (secret in the 201 answer); a refused URL creates no instance', async () => {
    const acc = await account();
    const res = await create(acc.token, { name: 'hooks', webhooks: [{ url: PUBLIC, events: ['message'] }] });
    assert.equal(res.statusCode, 201);
    assert.match(res.json().webhooks[0].secret, /^whsec_/);
    const id = res.json().instance_id;
    const listed = await app.inject({
      method: 'GET',
      url: `/v2/session/webhook?access_token=${acc.token}&instance_id=${id}`,
    });
    assert.deepEqual(
      listed.json().webhooks.map((w: { events: string[] }) => w.events),
      [['message']],
    );
    const refused = await create(acc.token, { webhooks: [{ url: 'http://192.168.1.1/' }] });
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().details.parameter, 'webhooks.0.url');
    const all = await app.inject({ method: 'GET', url: `/v2/account/instances?access_token=${acc.token}` });
    assert.equal(all.json().length, 1);
  });

  test('account-wide webhooks are separate from instance ones; another account’s instance is 404', async () => {
    const acc = await account();
    const other = await account();
    const theirs = (await create(other.token)).json().instance_id;
    const url = `/v2/account/webhook?access_token=${acc.token}`;
    const set = await app.inject({ method: 'POST', url, payload: { webhooks: [{ url: PUBLIC }] } });
    assert.equal(set.statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url })).json().webhooks.length, 1);
    assert.equal(
      (await app.inject({ method: 'GET', url: `/v2/account/webhook?access_token=${other.token}` })).json().webhooks
        .length,
      0,
    );
    const foreign = await app.inject({
      method: 'POST',
      url: `/v2/session/webhook?access_token=${acc.token}&instance_id=${theirs}`,
      payload: { webhooks: [] },
    });
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.json().code, 'invalid_instance');
    assert.equal((await app.inject({ method: 'GET', url: '/v2/account/webhook' })).statusCode, 401);
  });
});

describe('/v2/webhooks/deliveries and redelivery', () => {
  async function withDeliveries() {
    const acc = await account();
    const id = (await create(acc.token)).json().instance_id;
    await app.inject({
      method: 'POST',
      url: `/v2/session/webhook?access_token=${acc.token}&instance_id=${id}`,
      payload: { webhooks: [{ url: PUBLIC }] },
    });
    const events = [];
    for (let n = 0; n < 3; n++) {
      // Distinct seconds, so a window can hold exactly one of them.
      const createdAt = new Date(Date.now() - (10 - n) * 1000).toISOString();
      events.push(
        await store.appendEvent({
          id: newId('evt'),
          accountId: acc.id,
          instanceId: id,
          event: 'session.status',
          payload: { n },
          createdAt,
        }),
      );
    }
    return { acc, id, events };
  }

  test('lists newest first with filters; another account sees none of them', async () => {
    const { acc, id, events } = await withDeliveries();
    const res = await app.inject({ method: 'GET', url: `/v2/webhooks/deliveries?access_token=${acc.token}` });
    assert.equal(res.statusCode, 200);
    const list = res.json();
    assert.deepEqual(
      list.map((d: { event_id: string }) => d.event_id),
      events.map((e) => e.id).reverse(),
    );
    assert.deepEqual(Object.keys(list[0]).slice(0, 9), [
      'id',
      'event_id',
      'event',
      'url',
      'status',
      'attempts',
      'last_error',
      'next_attempt_at',
      'delivered_at',
    ]);
    assert.equal(list[0].status, 'pending');
    assert.equal(list[0].url, PUBLIC);
    const q = (s: string) =>
      app.inject({ method: 'GET', url: `/v2/webhooks/deliveries?access_token=${acc.token}&${s}` });
    assert.equal((await q(`instance_id=${id}&limit=2`)).json().length, 2);
    assert.equal((await q('status=delivered')).json().length, 0);
    assert.equal((await q(`since=${Date.now() + 60_000}`)).json().length, 0);
    assert.equal((await q('since=2000-01-01T00:00:00Z')).json().length, 3);
    assert.equal((await q('status=bogus')).statusCode, 400);
    assert.equal((await q('since=yesterday')).json().details.parameter, 'since');
    const other = await account();
    assert.deepEqual(
      (await app.inject({ method: 'GET', url: `/v2/webhooks/deliveries?access_token=${other.token}` })).json(),
      [],
    );
    const foreign = await app.inject({
      method: 'GET',
      url: `/v2/webhooks/deliveries?access_token=${other.token}&instance_id=${id}`,
    });
    assert.equal(foreign.json().code, 'invalid_instance');
  });

  test('redeliver one (202) and a window (202 {queued}); foreign ids are 404', async () => {
    const { acc, id, events } = await withDeliveries();
    const list = (await app.inject({ method: 'GET', url: `/v2/webhooks/deliveries?access_token=${acc.token}` })).json();
    const one = await app.inject({
      method: 'POST',
      url: `/v2/webhooks/deliveries/${list[0].id}/redeliver?access_token=${acc.token}`,
    });
    assert.equal(one.statusCode, 202);
    assert.equal(one.json().queued, 1);
    assert.equal(one.json().delivery.status, 'pending');
    const other = await account();
    const foreign = await app.inject({
      method: 'POST',
      url: `/v2/webhooks/deliveries/${list[0].id}/redeliver?access_token=${other.token}`,
    });
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.json().code, 'not_found');
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: `/v2/webhooks/deliveries/dlv_nope/redeliver?access_token=${acc.token}`,
        })
      ).statusCode,
      404,
    );

    const window = (body: Record<string, unknown>, token = acc.token) =>
      app.inject({ method: 'POST', url: `/v2/webhooks/redeliver?access_token=${token}`, payload: body });
    const all = await window({ since: events[0]!.createdAt });
    assert.equal(all.statusCode, 202);
    assert.deepEqual(all.json(), { queued: 3 });
    assert.deepEqual(
      (await window({ instance_id: id, since: Date.parse(events[0]!.createdAt), until: events[0]!.createdAt })).json(),
      { queued: 1 },
    );
    assert.deepEqual((await window({ since: events[0]!.createdAt }, other.token)).json(), { queued: 0 });
    assert.equal(
      (await window({ instance_id: id, since: events[0]!.createdAt }, other.token)).json().code,
      'invalid_instance',
    );
    assert.equal((await window({})).json().code, 'missing_parameter');
    assert.equal(
      (await window({ since: events[0]!.createdAt, until: '2000-01-01T00:00:00Z' })).json().details.parameter,
      'until',
    );
  });
});

test('OpenAPI lists the webhook routes with their schemas', async () => {
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  for (const [path, method] of [
    ['/v2/session/webhook', 'get'],
    ['/v2/session/webhook', 'post'],
    ['/v2/account/webhook', 'post'],
    ['/v2/webhooks/deliveries', 'get'],
    ['/v2/webhooks/deliveries/{id}/redeliver', 'post'],
    ['/v2/webhooks/redeliver', 'post'],
  ] as const) {
    assert.ok(doc.paths[path]?.[method], `${method} ${path}`);
  }
  const created =
    doc.paths['/v2/session/create'].post.requestBody.content['application/json'].schema.properties.webhooks;
  assert.deepEqual(created.items.required, ['url'], 'create documents the webhook shape');
});

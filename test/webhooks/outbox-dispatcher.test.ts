import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { EventBus } from '../../src/events/index.ts';
import { WebhookDispatcher, retryDelay, type DispatcherOptions } from '../../src/webhooks/index.ts';
import { verifySignature } from '../../src/webhooks/index.ts';
import { WebhookService } from '../../src/webhooks/index.ts';
import { newId, newInstanceId } from '../../src/lib/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { startReceiver, type Receiver, type Received } from './receiver.ts';

/**
 * The dispatcher against a real SQLite store and a real HTTP receiver on loopback. Events are appended through the
 * store (as the status recorder does), so deliveries come from the durable outbox, not from memory.
 */

let dir: string;
let store: Store;
let service: WebhookService;
const masterKey = randomBytes(32);
const FAST: Partial<DispatcherOptions> = {
  allowPrivate: true,
  timeoutMs: 300,
  pollMs: 50,
  backoff: { baseMs: 20, maxMs: 100 },
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-dispatch-'));
  store = await openStore({ dataDir: dir });
  service = new WebhookService(store, masterKey, { allowPrivate: true });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function instance(accountId?: string): Promise<{ accountId: string; instanceId: string }> {
  const account = accountId ?? (await store.createAccount({ name: 'acme', maxInstances: 10 })).id;
  const id = newInstanceId();
  await store.createInstance({
    id,
    accountId: account,
    name: id,
    config: { expectedPhone: null, signature: null },
    status: 'STOPPED',
    reason: 'created',
  });
  return { accountId: account, instanceId: id };
}

/** Appends an event whose payload is its envelope, as the status recorder writes them. */
async function emit(who: { accountId: string; instanceId: string }, n: number): Promise<string> {
  const id = newId('evt');
  const envelope = {
    id,
    timestamp: Date.now(),
    session: who.instanceId,
    instance_id: who.instanceId,
    engine: 'BAILEYS',
    event: 'message',
    payload: { n },
    me: null,
  };
  await store.appendEvent({
    id,
    accountId: who.accountId,
    instanceId: who.instanceId,
    event: 'message',
    payload: envelope,
  });
  return id;
}

function dispatcher(
  options: Partial<DispatcherOptions> = {},
  bus?: EventBus,
  logger = pino({ level: 'silent' }),
): WebhookDispatcher {
  return new WebhookDispatcher({ store, bus, secrets: service.secrets, logger, options: { ...FAST, ...options } });
}

const okIds = (received: Received[], instanceId: string) =>
  received.filter((r) => r.answer === 'ok' && r.json?.instance_id === instanceId).map((r) => r.json.id as string);

describe('webhook dispatcher', () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(() => receiver.close());

  test('ordered at-least-once through 500s and a timeout; other lanes keep flowing; every request signed', async () => {
    const a = await instance();
    const b = await instance(a.accountId);
    const [hook] = await service.replace(
      { accountId: a.accountId, instanceId: null },
      await service.prepare([{ url: receiver.url }]),
    );
    const secret = hook!.secret!;
    let phase: 'fail' | 'hang-once' | 'ok' = 'fail';
    let aFirst = '';
    receiver.behave((r) => {
      if (r.json?.id !== aFirst) return 'ok';
      if (phase === 'fail') return 500;
      if (phase === 'hang-once') {
        phase = 'ok';
        return 'hang';
      }
      return 'ok';
    });
    const aIds: string[] = [];
    const bIds: string[] = [];
    aFirst = await emit(a, 0);
    aIds.push(aFirst);
    for (let i = 1; i < 5; i++) aIds.push(await emit(a, i));
    for (let i = 0; i < 5; i++) bIds.push(await emit(b, i));

    const d = dispatcher();
    await d.start();
    try {
      // A's head keeps failing: B's lane is not held up by it, and A's later events wait.
      await receiver.until(
        (rs) => okIds(rs, b.instanceId).length === 5 && rs.filter((r) => r.json?.id === aFirst).length >= 2,
      );
      assert.deepEqual(okIds(receiver.received, b.instanceId), bIds, 'B in order');
      assert.deepEqual(okIds(receiver.received, a.instanceId), [], 'nothing of A got past its failing head');
      phase = 'hang-once';
      await receiver.until((rs) => okIds(rs, a.instanceId).length === 5);
    } finally {
      await d.stop();
    }
    assert.deepEqual(okIds(receiver.received, a.instanceId), aIds, 'A in order once its head got through');
    const forA = receiver.received.filter((r) => r.json?.instance_id === a.instanceId);
    // Order: no request for A's event k before A's event k-1 was answered 200.
    let delivered = 0;
    for (const r of forA) {
      const k = aIds.indexOf(r.json.id);
      assert.ok(k <= delivered, `event ${k} sent before event ${delivered} was delivered`);
      if (r.answer === 'ok' && k === delivered) delivered++;
    }
    assert.ok(
      forA.some((r) => r.answer === 'hang'),
      'one attempt timed out',
    );
    for (const r of receiver.received) {
      assert.equal(r.headers['x-switchboard-event'], 'message');
      assert.equal(r.headers['x-switchboard-event-id'], r.json.id, 'event id header = envelope id, on every retry');
      assert.equal(r.headers['content-type'], 'application/json');
      assert.ok(verifySignature(secret, r.body, String(r.headers['x-switchboard-signature'])), 'signature verifies');
    }
    const head = (await service.deliveries({ accountId: a.accountId, instanceId: a.instanceId, limit: 10 })).find(
      (x) => x.event_id === aFirst,
    )!;
    assert.equal(head.status, 'delivered');
    assert.equal(head.response_code, 200);
    assert.ok(head.attempts >= 4, `attempts ${head.attempts}`);
    assert.match(head.last_error ?? '', /timeout after 300 ms/, 'the last error is kept for inspection');
    assert.ok(
      (await service.deliveries({ accountId: a.accountId, limit: 100 })).every((x) => x.status === 'delivered'),
    );
  });

  test('past the retry horizon a delivery is dead with its last error, and its lane moves on; the warning logs the URL without its query', async () => {
    const c = await instance();
    const [hook] = await service.replace(
      { accountId: c.accountId, instanceId: c.instanceId },
      await service.prepare([{ url: `${receiver.url}/in?dead&token=receiver-s3cret` }]),
    );
    receiver.behave((r) => (r.json?.instance_id === c.instanceId ? 503 : 'ok'));
    const first = await emit(c, 0);
    const second = await emit(c, 1);
    let logged = '';
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => ((logged += chunk), done()) }));
    const d = dispatcher({ retryHorizonMs: 200 }, undefined, logger);
    await d.start();
    try {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const list = await service.deliveries({ accountId: c.accountId, limit: 10 });
        if (list.length === 2 && list.every((x) => x.status === 'dead')) break;
        assert.ok(Date.now() < deadline, `not dead yet: ${JSON.stringify(list.map((x) => x.status))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await d.stop();
    }
    const list = await service.deliveries({ accountId: c.accountId, status: 'dead', limit: 10 });
    assert.deepEqual(list.map((x) => x.event_id).sort(), [first, second].sort());
    for (const x of list) {
      assert.equal(x.last_error, 'HTTP 503: nope 503');
      assert.equal(x.response_code, 503);
      assert.equal(x.next_attempt_at, null);
      assert.equal(x.url, hook!.url);
    }
    const warnings = logged
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string; url: string });
    assert.equal(warnings.filter((w) => w.msg === 'webhook delivery dead after its retry horizon').length, 2);
    assert.ok(
      warnings.every((w) => w.url === `${receiver.url}/in`),
      logged,
    );
    assert.ok(!logged.includes('receiver-s3cret'));
  });

  test('replay: one delivery, then a time window, arrive again with the same event id and a fresh signature', async () => {
    const e = await instance();
    const [hook] = await service.replace(
      { accountId: e.accountId, instanceId: e.instanceId },
      await service.prepare([{ url: `${receiver.url}?replay` }]),
    );
    receiver.behave(() => 'ok');
    const bus = new EventBus();
    const d = dispatcher({ pollMs: 60_000 }, bus);
    await d.start();
    const count = (id: string) => receiver.received.filter((r) => r.json?.id === id).length;
    try {
      const id1 = await emit(e, 1);
      const id2 = await emit(e, 2);
      d.wake();
      await receiver.until(() => count(id1) === 1 && count(id2) === 1);
      const [, older] = await service.deliveries({ accountId: e.accountId, limit: 10 });
      assert.equal(older!.event_id, id1);
      assert.equal(await service.redeliver(older!.id), true);
      d.wake();
      await receiver.until(() => count(id1) === 2);
      const since = new Date(Date.now() - 60_000).toISOString();
      assert.equal(await service.redeliverRange({ accountId: e.accountId, since, until: new Date().toISOString() }), 2);
      d.wake();
      await receiver.until(() => count(id1) === 3 && count(id2) === 2);
      const again = (await service.deliveries({ accountId: e.accountId, limit: 10 })).find((x) => x.event_id === id1)!;
      assert.equal(again.status, 'delivered');
      assert.equal(again.attempts, 1, 'attempts count from the last queueing');
    } finally {
      await d.stop();
    }
    for (const r of receiver.received.filter((x) => x.json?.instance_id === e.instanceId)) {
      assert.ok(verifySignature(hook!.secret!, r.body, String(r.headers['x-switchboard-signature'])));
    }
  });

  test('backoff doubles per attempt up to its cap, with up to half of each step random', () => {
    const b = { baseMs: 1000, maxMs: 8000 };
    assert.equal(
      retryDelay(1, b, () => 0),
      500,
    );
    assert.equal(
      retryDelay(1, b, () => 1),
      1000,
    );
    assert.equal(
      retryDelay(3, b, () => 1),
      4000,
    );
    assert.equal(
      retryDelay(10, b, () => 1),
      8000,
    );
    assert.equal(
      retryDelay(10, b, () => 0),
      4000,
    );
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { EngineSession } from '../../src/engine/index.ts';
import { OutboundSender } from '../../src/messaging/outbound-sender.ts';
import { SlidingWindowLimiter } from '../../src/lib/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { NewOutbound } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { newInstanceId } from '../../src/lib/index.ts';
import { FakeEngine, FakeSession } from '../sessions/fake-engine.ts';

/** The outbound sender over a real SQLite store and a scripted engine session: order, rate limit, retries, outages. */

const silent = pino({ level: 'silent' });
let dir: string;
let store: Store;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-sender-'));
  store = await openStore({ dataDir: dir });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
async function fixture() {
  const account = await store.createAccount({ name: `a${++seq}`, maxInstances: 5 });
  const instance = await store.createInstance({
    id: newInstanceId(),
    accountId: account.id,
    name: 'x',
    config: { expectedPhone: null, signature: null },
    status: 'WORKING',
    reason: 'connected',
  });
  const engine = new FakeEngine();
  const session = engine.start({
    instanceId: instance.id,
    auth: { get: async () => ({}), set: async () => {}, clear: async () => {} },
  });
  let target: FakeSession | null = session;
  const queue = (text: string, over: Partial<NewOutbound> = {}) =>
    store.outbound.enqueue({
      id: engine.newMessageId() + seq,
      instanceId: instance.id,
      accountId: account.id,
      chatJid: '201099999999@s.whatsapp.net',
      body: text,
      replyTo: null,
      ...over,
    });
  return {
    instance,
    session,
    queue,
    setTarget: (s: FakeSession | null) => (target = s),
    target: (): EngineSession | null => target,
  };
}

const waitFor = async (what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('OutboundSender', () => {
  test('drains in queue order and marks each row sent with the engine timestamp', async () => {
    const f = await fixture();
    const rows = [await f.queue('a'), await f.queue('b', { replyTo: 'Q' }), await f.queue('c')];
    const sender = new OutboundSender(store, () => f.target(), silent, { ratePerMin: 100 });
    sender.kick(f.instance.id);
    const settled = await sender.settled(rows[2]!.id, 5_000);
    assert.equal(settled?.status, 'sent');
    assert.deepEqual(
      f.session.sent.map((m) => [m.id, m.text, m.replyTo, m.to]),
      [
        [rows[0]!.id, 'a', null, '201099999999@s.whatsapp.net'],
        [rows[1]!.id, 'b', 'Q', '201099999999@s.whatsapp.net'],
        [rows[2]!.id, 'c', null, '201099999999@s.whatsapp.net'],
      ],
    );
    for (const r of rows) assert.ok((await store.outbound.get(r.id))?.waTimestamp);
    await sender.close();
  });

  test('the rate limit holds the rest back and schedules the next look; settled times out with null meanwhile', async () => {
    const f = await fixture();
    const a = await f.queue('a');
    const b = await f.queue('b');
    const sender = new OutboundSender(store, () => f.target(), silent, { ratePerMin: 1 });
    sender.kick(f.instance.id);
    assert.equal((await sender.settled(a.id, 5_000))?.status, 'sent');
    assert.equal(await sender.settled(b.id, 100), null);
    assert.equal((await store.outbound.get(b.id))?.status, 'queued');
    assert.equal(sender.activeTimers, 1, 'a wake-up is scheduled for when the window allows');
    await sender.close();
    assert.equal(sender.activeTimers, 0);
    assert.equal(f.session.sent.length, 1);
  });

  test('not WORKING: nothing is sent and nothing is counted; the next kick after WORKING drains', async () => {
    const f = await fixture();
    const a = await f.queue('a');
    f.setTarget(null);
    const sender = new OutboundSender(store, () => f.target(), silent);
    sender.kick(f.instance.id);
    assert.equal(await sender.settled(a.id, 100), null);
    assert.equal((await store.outbound.get(a.id))?.attempts, 0);
    f.setTarget(f.session);
    sender.kick(f.instance.id);
    assert.equal((await sender.settled(a.id, 5_000))?.status, 'sent');
    await sender.close();
  });

  test('a failure while connected is retried with backoff, then the row fails and the queue moves on', async () => {
    const f = await fixture();
    const a = await f.queue('a');
    const b = await f.queue('b');
    f.session.failSend = new Error('server said no');
    const sender = new OutboundSender(store, () => f.target(), silent, {
      retryBaseMs: 5,
      retryMaxMs: 20,
      maxAttempts: 3,
    });
    sender.kick(f.instance.id);
    const failed = await sender.settled(a.id, 5_000);
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.attempts, 3);
    assert.equal(failed?.lastError, 'server said no');
    f.session.failSend = null;
    sender.kick(f.instance.id);
    assert.equal((await sender.settled(b.id, 5_000))?.status, 'sent');
    assert.deepEqual(
      f.session.sent.map((m) => m.id),
      [b.id],
    );
    await sender.close();
  });

  test('a send that fails because the connection went away costs no attempt', async () => {
    const f = await fixture();
    const a = await f.queue('a');
    f.session.failSend = new Error('Connection Closed');
    const original = f.session.sendText.bind(f.session);
    f.session.sendText = async (m) => {
      f.setTarget(null); // the manager left WORKING while the send was in flight
      return original(m);
    };
    const sender = new OutboundSender(store, () => f.target(), silent);
    sender.kick(f.instance.id);
    await waitFor('attempt over', async () => f.target() === null);
    await sender.close();
    const row = await store.outbound.get(a.id);
    assert.deepEqual([row?.status, row?.attempts, row?.lastError], ['queued', 0, null]);
  });
});

describe('SlidingWindowLimiter', () => {
  test('n per 60 s: the n+1th waits until the oldest leaves the window', () => {
    const l = new SlidingWindowLimiter(2);
    assert.equal(l.delay('i', 1_000), 0);
    l.take('i', 1_000);
    l.take('i', 2_000);
    assert.equal(l.delay('i', 3_000), 58_000);
    assert.equal(l.delay('other', 3_000), 0, 'per instance');
    assert.equal(l.delay('i', 61_001), 0);
    assert.throws(() => new SlidingWindowLimiter(0), RangeError);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { instanceHandle, newPhone, sleep, startGateway, type Gateway } from '../harness/gateway.ts';

/**
 * The outbound queue survives a restart: texts held back by the rate limit are still queued when the gateway stops;
 * the next gateway (same data, same simulator) delivers each of them exactly once, in order, once the session is
 * WORKING again.
 */

async function received(g: Gateway, contact: string): Promise<Array<{ id: string; text: string }>> {
  const res = await g.admin('GET', `/sandbox/phones/${contact}/messages`);
  assert.equal(res.status, 200, String(res.raw));
  return res.body;
}

test('queued sends survive a restart and are delivered once, in order', async (t) => {
  const masterKey = randomBytes(32);
  // One message a minute: the 2nd and 3rd stay queued; a short wait so their 201 comes from the queue.
  const first = await startGateway({ masterKey, config: { sendRatePerMin: 1 }, messagingOptions: { sendWaitMs: 300 } });
  const sim = first.sessions.sim!;
  let firstClosed = false;
  t.after(async () => {
    if (!firstClosed) await first.close();
  });

  const i = await first.newInstance('queue');
  assert.equal((await i.call('POST', '/v2/session/start')).status, 200);
  const phone = newPhone();
  const scan = await first.admin('POST', '/sandbox/scan', {
    qr: await i.qr(),
    phone,
    push_name: 'John Doe',
    platform: 'android',
  });
  assert.equal(scan.status, 200, String(scan.raw));
  await i.waitStatus('WORKING', 'connected');

  const contact = newPhone();
  const ids: string[] = [];
  for (const text of ['one', 'two', 'three']) {
    const res = await i.call('POST', '/v2/send/text', { chatId: contact, message: text });
    assert.equal(res.status, 201, String(res.raw));
    ids.push(res.body.id);
  }
  assert.equal(new Set(ids).size, 3, 'every send has its own id, queued or not');
  for (let deadline = Date.now() + 10_000; (await received(first, contact)).length < 1 && Date.now() < deadline;)
    await sleep(50);
  assert.deepEqual(
    (await received(first, contact)).map((m) => m.text),
    ['one'],
  );
  assert.equal(await first.store.outbound.countQueued(i.id), 2);

  // Stop the gateway (sessions stay restorable); the simulator lives on for the second life.
  await first.app.close();
  await first.sessions.close({ keepSimulator: true }); // sender, sessions (restorable), dispatcher
  await first.store.close();
  firstClosed = true;
  assert.deepEqual(
    (await sim.receivedMessages(contact)).map((m) => m.text),
    ['one'],
    'nothing more left while stopped',
  );

  const second = await startGateway({ dir: first.dir, masterKey, simulator: sim });
  t.after(async () => {
    await second.close();
    await sim.stop();
  });
  assert.equal(await second.sessions.manager.restoreAll(), 1);
  await instanceHandle(second.call, i.token, i.id).waitStatus('WORKING', 'connected');

  for (let deadline = Date.now() + 15_000; (await received(second, contact)).length < 3 && Date.now() < deadline;)
    await sleep(50);
  // Give a duplicate the chance to show up before asserting there is none.
  await sleep(500);
  const got = await received(second, contact);
  assert.deepEqual(
    got.map((m) => m.text),
    ['one', 'two', 'three'],
  );
  assert.deepEqual(
    got.map((m) => m.id),
    ids,
    'the WhatsApp ids the API answered with',
  );
  assert.equal(await second.store.outbound.countQueued(i.id), 0);
  for (const id of ids) assert.equal((await second.store.outbound.get(id))?.status, 'sent');
});

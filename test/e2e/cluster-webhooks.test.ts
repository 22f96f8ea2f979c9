import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { ClusterHarness, clusterCall as call } from '../harness/cluster.ts';
import { dropSchema, pgQuery, randomSchema } from '../store/pg.ts';
import { startReceiver, type Receiver } from '../webhooks/receiver.ts';

/**
 * Webhooks through a kill -9 failover (docs/multi-node.md): three gateway processes, one account webhook, contacts
 * texting three instances (two on the node that dies, one on a survivor) before the kill, while the dead node's
 * instances have no owner (the simulator keeps their texts for the next login, as WhatsApp does), and after they are
 * WORKING on the survivors. Every text arrives as exactly one `message` event and one webhook delivery, the deliveries
 * of an instance in its outbox order (event seq); none is lost. (The outbox order is the order the engine reported the
 * texts in; the first texts from a new contact can be reported out of send order, so that is not asserted here.)
 * The kill lands when no delivery is in flight: a delivery cut mid-request is retried (at least once, by design).
 */

const schema = randomSchema();
let sim: Simulator;
let cluster: ClusterHarness;
let hooks: Receiver;

before(async () => {
  sim = await startSimulator({ port: 0 });
  hooks = await startReceiver();
  cluster = new ClusterHarness(schema, sim);
  await pgQuery(`CREATE SCHEMA "${schema}"`);
});
after(async () => {
  await cluster.stopAll();
  await hooks.close();
  await sim.stop();
  await dropSchema(schema);
});

const EACH = 3;

test('kill -9 of an owner: every inbound text is one webhook, in order per instance, none lost', async (t) => {
  const env = { SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE: '1' };
  const a = await cluster.start('node-a', { env });
  const b = await cluster.start('node-b', { env });
  await cluster.start('node-c', { env });
  const { token } = await cluster.account(a, 10);
  const hook = await call(a, 'POST', '/v2/account/webhook', {
    token,
    body: { webhooks: [{ url: hooks.url, events: ['message'] }] },
  });
  assert.equal(hook.status, 200, JSON.stringify(hook.body));
  const phones = ['201055500301', '201055500302', '201055500303'];
  const ids = [
    await cluster.link(a, token, 'w0', phones[0]),
    await cluster.link(a, token, 'w1', phones[1]),
    await cluster.link(b, token, 'w2', phones[2]),
  ];
  await cluster.allWorking(ids);
  const contact = '447700900123';
  const sent = new Map<string, string[]>(ids.map((id) => [id, []]));
  const texts = async (phase: string) => {
    for (let n = 0; n < EACH; n++) {
      for (const [k, id] of ids.entries()) {
        const text = `${phase}-${n}`;
        await sim.sendText({ from: contact, to: phones[k], text });
        sent.get(id)!.push(text);
      }
    }
  };
  const delivered = () => hooks.received.filter((r) => r.headers['x-switchboard-event'] === 'message');
  const allDelivered = (count: number) => hooks.until(() => delivered().length >= count, 60_000);

  await texts('before');
  await allDelivered(ids.length * EACH);
  const history = new Map(await Promise.all(ids.map(async (id) => [id, (await cluster.history(id)).length] as const)));

  await cluster.kill(a);
  await texts('during'); // node-a's instances have no owner until their leases expire
  for (const id of ids.slice(0, 2)) await cluster.workingAgain(id, history.get(id)!);
  assert.deepEqual((await cluster.history(ids[2])).slice(history.get(ids[2])!), [], 'node-b kept its instance');
  await texts('after');
  await allDelivered(ids.length * EACH * 3);
  await new Promise((r) => setTimeout(r, 1_000)); // room for a duplicate to show up

  const got = delivered();
  const eventIds = got.map((r) => r.headers['x-switchboard-event-id']);
  assert.equal(new Set(eventIds).size, eventIds.length, 'one delivery per event id');
  for (const [id, texts] of sent) {
    const outbox = await pgQuery<{ id: string; body: string }>(
      `SELECT id, payload::json->'payload'->>'body' AS body FROM "${schema}".events
        WHERE instance_id = $1 AND event = 'message' ORDER BY seq`,
      [id],
    );
    const order = outbox.map((e) => e.body);
    if (order.join() !== texts.join()) t.diagnostic(`${id}: engine reported ${order.join(' ')}`);
    const mine = got.filter((r) => r.json.instance_id === id);
    assert.deepEqual(
      mine.map((r) => r.json.id),
      outbox.map((e) => e.id),
      `${id}: every event delivered once, in outbox (seq) order`,
    );
    assert.deepEqual(
      mine.map((r) => r.json.payload.body as string).sort(),
      [...texts].sort(),
      `${id}: every text is one event, none lost`,
    );
  }
  assert.ok(got.every((r) => r.answer === 'ok'));
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BusMessage } from '../../src/events/index.ts';
import { startReceiver, type Receiver } from '../webhooks/receiver.ts';
import { meName, newPhone, startGateway, until, type Gateway, type Instance } from '../harness/gateway.ts';

/**
 * Messaging end to end: HTTP → messaging → Baileys engine → simulator, Signal-encrypted both ways. The personal
 * push name reaches /me by app-state sync; a rename reaches it and emits session.identity; a signed text arrives at
 * the contact decrypted, signed with the current name; the contact's reply comes back as a `message` event (bus,
 * outbox, webhook); sending needs WORKING.
 */

const SIGNATURE = '\n\nSent by: {{pushName}}';

let g: Gateway;
let hooks: Receiver;
const seen: BusMessage[] = [];
before(async () => {
  hooks = await startReceiver();
  g = await startGateway({ config: { webhookAllowPrivate: true } });
  g.sessions.bus.subscribe((m) => seen.push(m));
});
after(async () => {
  await g.close();
  await hooks.close();
});

async function link(i: Instance, pushName = 'John Doe'): Promise<string> {
  const phone = newPhone();
  assert.equal((await i.call('POST', '/v2/session/start')).status, 200);
  const scan = await g.admin('POST', '/sandbox/scan', {
    qr: await i.qr(),
    phone,
    push_name: pushName,
    platform: 'android',
  });
  assert.equal(scan.status, 200, String(scan.raw));
  await i.waitStatus('WORKING', 'connected');
  return phone;
}

const events = (instanceId: string, event: string) =>
  seen.filter((m) => m.envelope.instance_id === instanceId && m.envelope.event === event).map((m) => m.envelope);

const received = async (contact: string): Promise<Array<{ id: string; from: string; text: string }>> => {
  const res = await g.admin('GET', `/sandbox/phones/${contact}/messages`);
  assert.equal(res.status, 200, String(res.raw));
  return res.body;
};

describe('live identity', () => {
  test('the personal push name reaches /me; a rename reaches it and emits session.identity', async () => {
    const i = await g.newInstance('identity');
    const phone = await link(i, 'John Doe');
    await until('John Doe on /me', async () => (await meName(i)) === 'John Doe');

    const patch = await g.admin('PATCH', `/sandbox/phones/${phone}`, { push_name: 'Jane Roe' });
    assert.equal(patch.status, 200, String(patch.raw));
    assert.deepEqual(patch.body, { phone, push_name: 'Jane Roe', notified: 1 });
    await until('Jane Roe on /me', async () => (await meName(i)) === 'Jane Roe');
    const identity = await until('session.identity', () =>
      events(i.id, 'session.identity').find((e) => (e.payload as any).pushName === 'Jane Roe'),
    );
    assert.equal((identity.payload as any).me.name, 'Jane Roe');
    assert.equal(identity.me?.pushName, 'Jane Roe');
    const outbox = await g.store.listEvents({ afterSeq: 0, limit: 1000 });
    assert.ok(
      outbox.some((e) => e.id === identity.id),
      'the event is in the durable outbox',
    );
    assert.equal((await i.info()).me.pushName, 'Jane Roe');
  });

  test('a rename of an unknown number is a 400; an empty name is refused', async () => {
    assert.equal((await g.admin('PATCH', '/sandbox/phones/12', { push_name: 'X' })).status, 400);
    assert.equal((await g.admin('PATCH', `/sandbox/phones/${newPhone()}`, { push_name: '' })).status, 400);
  });
});

describe('send and receive', () => {
  test('a signed text arrives at the contact decrypted, signed with the current name; acks follow', async () => {
    const i = await g.newInstance('signed', { signature: SIGNATURE });
    const phone = await link(i, 'John Doe');
    await until('John Doe on /me', async () => (await meName(i)) === 'John Doe');
    assert.equal((await g.admin('PATCH', `/sandbox/phones/${phone}`, { push_name: 'Agent Smith' })).status, 200);
    await until('Agent Smith on /me', async () => (await meName(i)) === 'Agent Smith');

    const contact = newPhone();
    const sent = await i.call('POST', '/v2/send/text', {
      chatId: `+${contact.slice(0, 4)} ${contact.slice(4)}`,
      message: 'Hello there',
    });
    assert.equal(sent.status, 201, String(sent.raw));
    assert.deepEqual(Object.keys(sent.body), ['id', 'chatId', 'body', 'timestamp', 'ack', 'ackName', 'warnings']);
    assert.equal(sent.body.chatId, `${contact}@c.us`);
    assert.equal(sent.body.body, 'Hello there\n\nSent by: Agent Smith');
    assert.deepEqual([sent.body.ack, sent.body.ackName, sent.body.warnings], [0, 'PENDING', []]);
    assert.ok(Number.isInteger(sent.body.timestamp) && sent.body.timestamp > 1_700_000_000);

    const got = await until('text at the contact', async () =>
      (await received(contact)).find((m) => m.id === sent.body.id),
    );
    assert.deepEqual({ from: got.from, text: got.text }, { from: phone, text: 'Hello there\n\nSent by: Agent Smith' });

    // The simulated contact's phone sends delivery and read receipts.
    const acks = await until('DEVICE and READ acks', () => {
      const mine = events(i.id, 'message.ack').filter((e) => (e.payload as any).id === sent.body.id);
      return mine.length >= 2 && mine;
    });
    assert.deepEqual(
      acks.map((e) => e.payload),
      [
        { id: sent.body.id, from: `${phone}@c.us`, to: `${contact}@c.us`, ack: 2, ackName: 'DEVICE' },
        { id: sent.body.id, from: `${phone}@c.us`, to: `${contact}@c.us`, ack: 3, ackName: 'READ' },
      ],
    );

    // `text` is the alias of `message`; {{phone}} and unknown placeholders (left as written, reported).
    const config = await i.call('POST', '/v2/session/config', { signature: '\n-- {{pushName}} {{phone}} {{agent}}' });
    assert.equal(config.status, 200, String(config.raw));
    const second = await i.call('POST', '/v2/send/text', {
      chatId: `${contact}@s.whatsapp.net`,
      text: 'Again',
      reply_to: sent.body.id,
    });
    assert.equal(second.status, 201, String(second.raw));
    assert.equal(second.body.body, `Again\n-- Agent Smith +${phone} {{agent}}`);
    assert.deepEqual(second.body.warnings, ['unknown signature placeholder {{agent}} left as written']);
    await until('second text', async () => (await received(contact)).some((m) => m.text === second.body.body));
  });

  test("a contact's reply arrives as a message event: bus, outbox and webhook", async () => {
    const i = await g.newInstance('inbound');
    const phone = await link(i, 'John Doe');
    const hook = await i.call('POST', '/v2/session/webhook', { webhooks: [{ url: hooks.url, events: ['message'] }] });
    assert.equal(hook.status, 200, String(hook.raw));

    const contact = newPhone();
    const text = await g.admin('POST', `/sandbox/phones/${contact}/messages`, {
      to: phone,
      text: 'Thanks, that helped!',
    });
    assert.equal(text.status, 200, String(text.raw));

    const event = await until('message event', () => events(i.id, 'message')[0]);
    assert.deepEqual(event.payload, {
      id: text.body.id,
      timestamp: text.body.timestamp,
      from: `${contact}@c.us`,
      fromMe: false,
      to: `${phone}@c.us`,
      body: 'Thanks, that helped!',
      hasMedia: false,
      ack: 2,
      ackName: 'DEVICE',
      replyTo: null,
      pushName: (event.payload as any).pushName,
    });
    assert.equal(typeof (event.payload as any).pushName, 'string', 'the contact pushes its name with the message');
    assert.deepEqual(
      [event.session, event.instance_id, event.engine, event.me?.id],
      [i.id, i.id, 'BAILEYS', `${phone}@c.us`],
    );
    const outbox = await g.store.listEvents({ afterSeq: 0, limit: 1000 });
    assert.deepEqual(outbox.find((e) => e.id === event.id)?.payload, event, 'the outbox row is the whole envelope');

    await hooks.until((r) => r.some((x) => x.json?.id === event.id));
    const delivered = hooks.received.find((x) => x.json?.id === event.id)!;
    assert.deepEqual(delivered.json, event);
    assert.equal(delivered.headers['x-switchboard-event'], 'message');
  });

  test('texts crossing both ways at once all arrive at both ends, once each (retry receipts heal the sessions)', async () => {
    // Each side starts a session while the other does: each then holds a session the other replaced, and the next
    // message matches nothing until the receiver asks again (sim/retry.ts; Baileys' retry receipts).
    const i = await g.newInstance('crossing');
    const phone = await link(i, 'John Doe');
    const contact = newPhone();
    const rounds = 5;
    for (let n = 0; n < rounds; n++) {
      const [hi, back] = await Promise.all([
        g.admin('POST', `/sandbox/phones/${contact}/messages`, { to: phone, text: `hi ${n}` }),
        i.call('POST', '/v2/send/text', { chatId: `${contact}@c.us`, message: `back ${n}` }),
      ]);
      assert.equal(hi.status, 200, String(hi.raw));
      assert.ok(back.status < 300, String(back.raw));
    }
    const wanted = (prefix: string) => Array.from({ length: rounds }, (_, n) => `${prefix} ${n}`);
    const inbound = () => events(i.id, 'message').map((e) => (e.payload as any).body as string);
    const outbound = async () => (await received(contact)).map((m) => m.text);
    await until(
      'every text at both ends',
      async () => inbound().length >= rounds && (await outbound()).length >= rounds,
    );
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive by now
    assert.deepEqual([...inbound()].sort(), wanted('hi'), 'the account got each contact text once');
    assert.deepEqual([...(await outbound())].sort(), wanted('back'), 'the contact got each account text once');
  });

  test('sending needs WORKING (409); chatId and message are checked (400)', async () => {
    const i = await g.newInstance('stopped');
    const stopped = await i.call('POST', '/v2/send/text', { chatId: '201099999999', message: 'hi' });
    assert.equal(stopped.status, 409, String(stopped.raw));
    assert.equal(stopped.body.code, 'invalid_state');
    assert.deepEqual(stopped.body.details, { status: 'STOPPED' });

    const bad = async (body: unknown, code: string, parameter: string) => {
      const res = await i.call('POST', '/v2/send/text', body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.raw}`);
      assert.equal(res.body.code, code);
      assert.equal(res.body.details.parameter, parameter);
    };
    await bad({ chatId: '120363000000000000@g.us', message: 'hi' }, 'invalid_parameter', 'chatId');
    await bad({ chatId: 'abc', message: 'hi' }, 'invalid_parameter', 'chatId');
    await bad({ chatId: '123', message: 'hi' }, 'invalid_parameter', 'chatId');
    await bad({ chatId: '201099999999' }, 'missing_parameter', 'message');
    await bad({ message: 'hi' }, 'missing_parameter', 'chatId');
    await bad({ chatId: '201099999999', message: '' }, 'invalid_parameter', 'message');
    await bad({ chatId: '201099999999', message: 'x'.repeat(4097) }, 'invalid_parameter', 'message');
  });
});

test('OpenAPI documents sending and the sandbox messaging routes', async () => {
  const doc = (await g.call('GET', '/openapi.json')).body;
  const send = doc.paths['/v2/send/text'].post;
  assert.ok(send.requestBody, 'a JSON body');
  assert.ok(send.responses['201'] && send.responses['409'] && send.responses['400']);
  assert.match(send.description, /SWITCHBOARD_SEND_RATE_PER_MIN/);
  assert.ok(doc.paths['/sandbox/phones/{phone}'].patch);
  assert.ok(doc.paths['/sandbox/phones/{phone}/messages'].post);
  assert.ok(doc.paths['/sandbox/phones/{phone}/messages'].get);
  const signature = JSON.stringify(doc.paths['/v2/session/config'].post.requestBody);
  assert.match(signature, /\{\{pushName\}\}/);
});

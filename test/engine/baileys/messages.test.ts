import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { proto, type WAMessage, type WAMessageUpdate } from 'baileys';
import {
  chatPhoneJid,
  textContent,
  textOf,
  toEngineAck,
  toEngineMessage,
} from '../../../src/engine/baileys/messages.ts';

/** Baileys' message events → EngineMessage / EngineAck: what counts as a contact's text, and how acks map. */

const ME = '201012345678@s.whatsapp.net';
const CONTACT = '201099999999@s.whatsapp.net';
const CONTACT_LID = '123456789012345@lid';
const noLookup = async () => null;
const lidLookup = async (lid: string) => (lid === CONTACT_LID ? CONTACT : null);

function incoming(over: Partial<WAMessage> = {}, key: Partial<WAMessage['key']> = {}): WAMessage {
  return {
    key: { remoteJid: CONTACT, fromMe: false, id: 'ABC123', ...key },
    message: { conversation: 'hello' },
    messageTimestamp: 1_764_151_200,
    pushName: 'Jane',
    ...over,
  } as WAMessage;
}

describe('toEngineMessage', () => {
  test('a contact text becomes a message with phone JIDs, push name and timestamp', async () => {
    assert.deepEqual(await toEngineMessage(incoming(), ME, noLookup), {
      id: 'ABC123',
      timestamp: 1_764_151_200,
      from: CONTACT,
      to: ME,
      body: 'hello',
      fromMe: false,
      pushName: 'Jane',
      replyTo: null,
    });
  });

  test('an extended text carries the quoted id; ephemeral wrappers are unwrapped', async () => {
    const quoted = { extendedTextMessage: { text: 'yes', contextInfo: { stanzaId: 'Q1' } } };
    assert.equal((await toEngineMessage(incoming({ message: quoted }), ME, noLookup))?.replyTo, 'Q1');
    const ephemeral = { ephemeralMessage: { message: { conversation: 'psst' } } };
    assert.equal((await toEngineMessage(incoming({ message: ephemeral }), ME, noLookup))?.body, 'psst');
  });

  test('a LID-addressed chat is reported by phone: the alternate JID, else the LID store', async () => {
    const alt = incoming({}, { remoteJid: CONTACT_LID, remoteJidAlt: '201099999999:3@s.whatsapp.net' });
    assert.equal((await toEngineMessage(alt, ME, noLookup))?.from, CONTACT);
    const bare = incoming({}, { remoteJid: CONTACT_LID });
    assert.equal((await toEngineMessage(bare, ME, lidLookup))?.from, CONTACT);
    assert.equal(await toEngineMessage(bare, ME, noLookup), null, 'an unknown LID has no phone to report');
  });

  test('ignored: our own, peer, protocol, media, group, broadcast and self-chat messages', async () => {
    const ignored: WAMessage[] = [
      incoming({}, { fromMe: true }),
      incoming({ category: 'peer' }),
      incoming({ message: { protocolMessage: { type: proto.Message.ProtocolMessage.Type.APP_STATE_SYNC_KEY_SHARE } } }),
      incoming({ message: { imageMessage: { mimetype: 'image/jpeg' } } }),
      incoming({}, { remoteJid: '120363000000000000@g.us' }),
      incoming({}, { remoteJid: 'status@broadcast' }),
      incoming({}, { remoteJid: ME }),
      incoming({}, { id: '' }),
    ];
    for (const msg of ignored) assert.equal(await toEngineMessage(msg, ME, noLookup), null, JSON.stringify(msg.key));
  });
});

describe('toEngineAck', () => {
  const update = (status: number, key: Partial<WAMessage['key']> = {}): WAMessageUpdate => ({
    key: { remoteJid: CONTACT, fromMe: true, id: 'OUT1', ...key },
    update: { status },
  });
  const Status = proto.WebMessageInfo.Status;

  test('server, delivery, read and played map to 1, 2, 3, 3', async () => {
    const acks = [];
    for (const s of [Status.SERVER_ACK, Status.DELIVERY_ACK, Status.READ, Status.PLAYED]) {
      acks.push((await toEngineAck(update(s), ME, noLookup))?.ack);
    }
    assert.deepEqual(acks, [1, 2, 3, 3]);
    assert.deepEqual(await toEngineAck(update(Status.READ), ME, noLookup), {
      id: 'OUT1',
      from: ME,
      to: CONTACT,
      ack: 3,
    });
  });

  test('pending, errors, receipts of messages we did not send and group receipts are not acks', async () => {
    assert.equal(await toEngineAck(update(Status.PENDING), ME, noLookup), null);
    assert.equal(await toEngineAck(update(Status.ERROR), ME, noLookup), null);
    assert.equal(await toEngineAck(update(Status.READ, { fromMe: false }), ME, noLookup), null);
    assert.equal(await toEngineAck(update(Status.READ, { remoteJid: '120363000000000000@g.us' }), ME, noLookup), null);
    assert.equal(
      await toEngineAck({ key: { remoteJid: CONTACT, fromMe: true, id: 'X' }, update: {} }, ME, noLookup),
      null,
    );
  });
});

describe('content helpers', () => {
  test('textOf reads conversation and extended text only', () => {
    assert.deepEqual(textOf({ conversation: 'hi' }), { body: 'hi', replyTo: null });
    assert.equal(textOf({ conversation: '' }), null);
    assert.equal(textOf(null), null);
  });

  test('textContent quotes by id', () => {
    assert.deepEqual(textContent({ text: 'a' }), { text: 'a' });
    assert.deepEqual(textContent({ text: 'a', replyTo: 'Q' }), { text: 'a', contextInfo: { stanzaId: 'Q' } });
  });

  test('chatPhoneJid drops the device part', async () => {
    assert.equal(await chatPhoneJid({ remoteJid: '201099999999:7@s.whatsapp.net' }, noLookup), CONTACT);
  });
});

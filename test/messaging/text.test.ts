import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChatId, toCus } from '../../src/messaging/index.ts';
import { renderSignature } from '../../src/messaging/text-signature.ts';

/** chatId rules of POST /v2/send/text and the signature template. */

describe('parseChatId', () => {
  test('digits (with + and spaces removed), @c.us and @s.whatsapp.net', () => {
    const want = { chatId: '201234567890@c.us', jid: '201234567890@s.whatsapp.net', digits: '201234567890' };
    for (const raw of [
      '201234567890',
      '+20 123 456 7890',
      '201234567890@c.us',
      '201234567890@s.whatsapp.net',
      '201234567890@C.US',
    ]) {
      assert.deepEqual(parseChatId(raw), want, raw);
    }
  });

  test('groups, LIDs, letters, dashes, too short or too long are refused', () => {
    for (const raw of [
      '120363000000000000@g.us',
      '123456789012345@lid',
      'abc',
      '2012-345-678',
      '12345',
      '1234567890123456',
      '',
      '@c.us',
    ]) {
      assert.equal(parseChatId(raw), null, raw);
    }
  });

  test('toCus drops the device', () => {
    assert.equal(toCus('201234567890:3@s.whatsapp.net'), '201234567890@c.us');
  });
});

describe('renderSignature', () => {
  const ctx = { pushName: 'John Doe', phone: '201012345678' };

  test('{{pushName}} and {{phone}}; spaces inside the braces are allowed', () => {
    assert.deepEqual(renderSignature('\n\nSent by: {{pushName}} ({{ phone }})', ctx), {
      text: '\n\nSent by: John Doe (+201012345678)',
      warnings: [],
    });
  });

  test('unknown placeholders stay as written and are reported once each', () => {
    const r = renderSignature('{{agent}} {{pushname}} {{agent}} {{pushName}}', ctx);
    assert.equal(r.text, '{{agent}} {{pushname}} {{agent}} John Doe');
    assert.deepEqual(r.warnings, [
      'unknown signature placeholder {{agent}} left as written',
      'unknown signature placeholder {{pushname}} left as written',
    ]);
  });

  test('no template: nothing appended; a name with $ patterns is inserted literally', () => {
    assert.deepEqual(renderSignature(null, ctx), { text: '', warnings: [] });
    assert.equal(renderSignature('{{pushName}}', { ...ctx, pushName: "$& $1 $'" }).text, "$& $1 $'");
  });
});

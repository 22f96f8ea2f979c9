import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { signatureFor, verifySignature } from '../../src/webhooks/index.ts';
import { SecretBox } from '../../src/webhooks/secret-box.ts';

test('signature is t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")> and verifies', () => {
  const body = '{"id":"evt_1","event":"session.status"}';
  const header = signatureFor('whsec_test', body, 1764151200);
  const expected = createHmac('sha256', 'whsec_test').update(`1764151200.${body}`).digest('hex');
  assert.equal(header, `t=1764151200,v1=${expected}`);
  assert.equal(verifySignature('whsec_test', body, header, { nowSeconds: 1764151260 }), true);
});

test('verification fails on another body, secret, timestamp, or outside the tolerance', () => {
  const body = '{"a":1}';
  const header = signatureFor('s3cret-s3cret-16', body, 1000);
  assert.equal(verifySignature('s3cret-s3cret-16', '{"a":2}', header, { nowSeconds: 1000 }), false);
  assert.equal(verifySignature('other-secret-xyz', body, header, { nowSeconds: 1000 }), false);
  assert.equal(
    verifySignature('s3cret-s3cret-16', body, header.replace('t=1000', 't=1001'), { nowSeconds: 1000 }),
    false,
  );
  assert.equal(verifySignature('s3cret-s3cret-16', body, header, { nowSeconds: 1000 + 301 }), false);
  assert.equal(verifySignature('s3cret-s3cret-16', body, 'garbage', { nowSeconds: 1000 }), false);
});

test('secrets are sealed at rest and open only for their own subscription and master key', () => {
  const key = Buffer.alloc(32, 7);
  const box = new SecretBox(key);
  const secret = SecretBox.generate();
  assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  const sealed = box.seal('whk_a', secret);
  assert.ok(!sealed.includes(Buffer.from(secret)), 'not stored in the clear');
  assert.equal(box.open('whk_a', sealed), secret);
  assert.throws(() => box.open('whk_b', sealed));
  assert.throws(() => new SecretBox(Buffer.alloc(32, 8)).open('whk_a', sealed));
});

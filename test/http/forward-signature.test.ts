import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FORWARD_HEADERS,
  clusterSecret,
  signForward,
  verifyForward,
  type ForwardRefusal,
} from '../../src/http/forward/index.ts';

/** The signature of forwarded calls (docs/multi-node.md "Forwarding"): what it covers, and what it refuses. */

const KEY = Buffer.alloc(32, 3);
const secret = clusterSecret(KEY);
const call = {
  method: 'POST',
  url: '/v2/send/text?instance_id=Abc123',
  body: Buffer.from('{"chatId":"2010","text":"hi"}'),
};
const NOW = 1_764_000_000_000;

const refusal = (headers: Record<string, string | undefined>, c = call, now = NOW): ForwardRefusal | 'ok' => {
  const r = verifyForward(secret, headers, c, now);
  return r.ok ? 'ok' : r.reason;
};

describe('forward signature', () => {
  test('a signed call verifies, naming the sending node; within the window either side of the clock', () => {
    const headers = signForward(secret, call, 'node-b', NOW);
    assert.deepEqual(verifyForward(secret, headers, call, NOW), { ok: true, nodeId: 'node-b' });
    assert.equal(refusal(headers, call, NOW + 30_000), 'ok');
    assert.equal(refusal(headers, call, NOW - 30_000), 'ok');
    assert.equal(refusal(headers, call, NOW + 30_001), 'expired');
    assert.equal(refusal(headers, call, NOW - 30_001), 'expired');
  });

  test('method, path, query, body, time and node are all covered', () => {
    const headers = signForward(secret, call, 'node-b', NOW);
    assert.equal(refusal(headers, { ...call, method: 'GET' }), 'bad_signature');
    assert.equal(refusal(headers, { ...call, url: '/v2/send/text?instance_id=Abc124' }), 'bad_signature');
    assert.equal(refusal(headers, { ...call, url: '/v2/session/stop?instance_id=Abc123' }), 'bad_signature');
    assert.equal(refusal(headers, { ...call, body: Buffer.from('{"chatId":"2010","text":"hI"}') }), 'bad_signature');
    assert.equal(refusal(headers, { ...call, body: Buffer.alloc(0) }), 'bad_signature');
    assert.equal(refusal({ ...headers, [FORWARD_HEADERS.time]: String(NOW + 1) }), 'bad_signature');
    assert.equal(refusal({ ...headers, [FORWARD_HEADERS.node]: 'node-c' }), 'bad_signature');
    // The method's case does not matter (HTTP methods are case-sensitive, but Node upper-cases the known ones).
    assert.equal(refusal(headers, { ...call, method: 'post' }), 'ok');
  });

  test('another secret, a missing or malformed header are refused', () => {
    const headers = signForward(secret, call, 'node-b', NOW);
    const other = signForward(clusterSecret(Buffer.alloc(32, 4)), call, 'node-b', NOW);
    assert.equal(refusal(other), 'bad_signature');
    for (const name of Object.values(FORWARD_HEADERS)) {
      assert.equal(refusal({ ...headers, [name]: undefined }), 'unsigned', `without ${name}`);
    }
    assert.equal(refusal({ ...headers, [FORWARD_HEADERS.signature]: 'v1=abc' }), 'malformed');
    assert.equal(
      refusal({ ...headers, [FORWARD_HEADERS.signature]: headers[FORWARD_HEADERS.signature]!.slice(3) }),
      'malformed',
    );
    assert.equal(refusal({ ...headers, [FORWARD_HEADERS.time]: 'soon' }), 'malformed');
    assert.equal(refusal({ ...headers, [FORWARD_HEADERS.node]: '' }), 'malformed');
    const twice = verifyForward(secret, { ...headers, [FORWARD_HEADERS.node]: ['node-b', 'node-b'] }, call, NOW);
    assert.deepEqual(twice, { ok: false, reason: 'malformed' });
  });

  test('the secret: derived from the master key under a label (not the key itself), or the override', () => {
    assert.equal(secret.length, 32);
    assert.notDeepEqual(secret, KEY);
    assert.deepEqual(clusterSecret(KEY), secret, 'the same on every node with the same master key');
    assert.notDeepEqual(clusterSecret(Buffer.alloc(32, 4)), secret);
    const override = clusterSecret(KEY, 'a-cluster-secret-of-at-least-32-characters');
    assert.notDeepEqual(override, secret);
    assert.deepEqual(override, clusterSecret(Buffer.alloc(32, 9), 'a-cluster-secret-of-at-least-32-characters'));
  });
});

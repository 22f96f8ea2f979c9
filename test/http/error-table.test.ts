import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SimError } from '../../sim/index.ts';
import { fromDomain } from '../../src/http/error-handler.ts';
import { EngineUnreachableError, SendFailedError } from '../../src/messaging/index.ts';
import {
  EngineRequestError,
  InvalidStateError,
  ManagerClosedError,
  OwnedElsewhereError,
  SessionNotFoundError,
} from '../../src/sessions/index.ts';
import { LeaseLostError, QuotaReachedError } from '../../src/store/index.ts';
import { WebhookInputError } from '../../src/webhooks/index.ts';

/** The one table from domain errors to HTTP answers (src/http/error-handler.ts DOMAIN_ERRORS). */

const answer = (err: Error) => {
  const api = fromDomain(err);
  assert.ok(api, `${err.name} is in the table`);
  return { status: api.statusCode, code: api.code, details: api.details };
};

describe('domain errors → HTTP', () => {
  test('session errors', () => {
    assert.deepEqual(answer(new SessionNotFoundError('x')), {
      status: 404,
      code: 'invalid_instance',
      details: undefined,
    });
    assert.deepEqual(answer(new InvalidStateError('STOPPED')), {
      status: 409,
      code: 'invalid_state',
      details: { status: 'STOPPED' },
    });
    assert.deepEqual(answer(new ManagerClosedError()), {
      status: 502,
      code: 'wawp_upstream_error',
      details: undefined,
    });
    assert.equal(answer(new EngineRequestError('pairing code', new Error('boom'))).status, 502);
    // Several nodes: another node holds the instance and this call was not forwarded to it (docs/multi-node.md).
    const owned = fromDomain(new OwnedElsewhereError('x'))!;
    assert.deepEqual(
      [owned.statusCode, owned.code, owned.details, owned.headers],
      [503, 'owner_unavailable', { reason: 'owned_elsewhere', retry_after: 2 }, { 'Retry-After': '2' }],
    );
    // A lease lost while the call ran (fenced write refused): the same 503, not a 500.
    const lost = fromDomain(new LeaseLostError({ instanceId: 'x', nodeId: 'n', fence: 3 }))!;
    assert.deepEqual(
      [lost.statusCode, lost.code, lost.details],
      [503, 'owner_unavailable', { reason: 'lease_lost', retry_after: 2 }],
    );
  });

  test('messaging, quota and webhook input errors', () => {
    assert.equal(answer(new SendFailedError('timeout')).code, 'wawp_upstream_error');
    assert.equal(answer(new EngineUnreachableError('x')).code, 'wawp_upstream_error');
    assert.deepEqual(answer(new QuotaReachedError(3)), { status: 403, code: 'quota_reached', details: { limit: 3 } });
    assert.deepEqual(answer(new WebhookInputError('webhooks.0.url', 'private_address')), {
      status: 400,
      code: 'invalid_parameter',
      details: { parameter: 'webhooks.0.url', reason: 'private_address' },
    });
  });

  test('simulator (sandbox) errors by code', () => {
    assert.deepEqual(answer(new SimError('qr_unknown', '')), {
      status: 404,
      code: 'not_found',
      details: { reason: 'qr_unknown' },
    });
    assert.deepEqual(answer(new SimError('code_in_progress', '')), {
      status: 409,
      code: 'invalid_state',
      details: { status: 'code_in_progress' },
    });
    assert.deepEqual(answer(new SimError('invalid_phone', '')).details, {
      parameter: 'phone',
      reason: 'invalid_phone',
    });
    assert.deepEqual(answer(new SimError('qr_invalid', '')).details, { parameter: 'qr', reason: 'qr_invalid' });
    assert.deepEqual(answer(new SimError('invalid_text', '')).details, { parameter: 'text', reason: 'invalid_text' });
    assert.deepEqual(answer(new SimError('invalid_fault', '')).details, {
      parameter: 'fault',
      reason: 'invalid_fault',
    });
    assert.deepEqual(answer(new SimError('invalid_connections', '')).details, {
      parameter: 'connections',
      reason: 'invalid_connections',
    });
  });

  test('anything else is not in the table (the error handler answers 500)', () => {
    assert.equal(fromDomain(new Error('bug')), null);
    assert.equal(fromDomain(new TypeError('bug')), null);
  });
});

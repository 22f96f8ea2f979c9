import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capturedLogger, newPhone, startGateway } from '../harness/gateway.ts';

/**
 * The whole gateway against a server that impersonates WhatsApp (security issue 14, point 1): the simulator replays a
 * genuine chain with another Noise static key (cert_key_mismatch) or presents an expired leaf (cert_expired). The
 * session ends FAILED/certificate_invalid, is not retried, and the operator gets one clear error line.
 */
test('an impersonating server (leaf key ≠ static key, expired leaf) → FAILED/certificate_invalid once, one error line; the genuine server → WORKING', async (t) => {
  const { logger, lines } = capturedLogger('info');
  const gw = await startGateway({ logger });
  t.after(() => gw.close());
  const sim = gw.sessions.sim!;

  for (const fault of ['cert_key_mismatch', 'cert_expired'] as const) {
    await sim.faults.inject({ fault, connections: 1 });
    const inst = await gw.newInstance(fault);
    assert.equal((await inst.call('POST', '/v2/session/start')).status, 200);
    const failed = await inst.waitStatus('FAILED', 'certificate_invalid');
    const history = failed.history.map((h: { status: string; reason: string }) => `${h.status}/${h.reason}`);
    assert.deepEqual(
      history,
      ['FAILED/certificate_invalid', 'STARTING/start_requested', 'STOPPED/created'],
      'no retry loop',
    );
  }
  const trustLines = lines.filter((l) => l.msg.startsWith('WhatsApp server not trusted'));
  assert.equal(trustLines.length, 2, 'one line per refused session');
  assert.deepEqual(
    lines.filter((l) => l.level >= 50).map((l) => l.msg),
    trustLines.map((l) => l.msg),
    "no other error line (Baileys' own report of the refusal is demoted to debug)",
  );
  assert.match(trustLines[0]!.msg, /leaf certificate key does not match the server's Noise static key/);
  assert.match(trustLines[1]!.msg, /leaf certificate expired at/);
  assert.ok(trustLines.every((l) => l.level === 50 && l.reason === 'certificate_invalid'));

  const genuine = await gw.newInstance('genuine');
  await genuine.call('POST', '/v2/session/start');
  const scan = await gw.admin('POST', '/sandbox/scan', {
    qr: await genuine.qr(),
    phone: newPhone(),
    push_name: 'Genuine',
    platform: 'android',
  });
  assert.equal(scan.status, 200);
  await genuine.waitStatus('WORKING', 'connected');
});

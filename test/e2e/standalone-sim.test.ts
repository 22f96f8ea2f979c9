import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator } from '../../sim/index.ts';
import { startGateway } from '../harness/gateway.ts';

/**
 * Without sandbox mode the gateway talks to whatever SWITCHBOARD_WA_URL names and trusts only the root key it is given
 * (SWITCHBOARD_WA_ROOT_KEY). Here: a simulator run on its own, as `npx switchboard-sim` does. A certificate chain
 * signed by any other root is refused once, with a clear reason, and not retried.
 */
test('a standalone simulator through SWITCHBOARD_WA_URL + SWITCHBOARD_WA_ROOT_KEY: QR → scan → WORKING; a foreign root → FAILED/certificate_invalid', async (t) => {
  const sim = await startSimulator({ port: 0 });
  const g = await startGateway({ config: { sandbox: false, waUrl: sim.url, waRootKey: sim.rootPublicKey } });
  t.after(async () => {
    await g.close();
    await sim.stop();
  });
  assert.equal((await g.call('GET', '/health')).body.sandbox, false);

  const linked = await g.newInstance('standalone');
  await linked.call('POST', '/v2/session/start');
  await sim.scan({ qr: await linked.qr(), phone: '201055500001', pushName: 'Standalone', platform: 'android' });
  const info = await linked.waitStatus('WORKING', 'connected');
  assert.equal(info.me.id, '201055500001@c.us');

  sim.faults.foreignRoot = true;
  const refused = await g.newInstance('foreign-root');
  await refused.call('POST', '/v2/session/start');
  const failed = await refused.waitStatus('FAILED', 'certificate_invalid');
  const history = failed.history.map((h: { status: string; reason: string }) => `${h.status}/${h.reason}`);
  assert.deepEqual(
    history,
    ['FAILED/certificate_invalid', 'STARTING/start_requested', 'STOPPED/created'],
    'no retry loop',
  );
});

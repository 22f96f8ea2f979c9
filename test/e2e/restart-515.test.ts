import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capturedLogger, newPhone, sleep, startGateway } from '../harness/gateway.ts';

/**
 * The simulator ends a linked device's connection with 515 (restart required). The engine absorbs it: it reconnects
 * with the same credentials and no status change is recorded. The test checks that the restart really happened (a
 * new login on the simulator, the engine's 515 line) rather than only that the session still says WORKING.
 * A file of its own: it reads a gateway's whole log, and one process trusts one simulator root.
 */

const history = (info: any): string[] => info.history.map((h: any) => `${h.status}/${h.reason}`).reverse();

test('restart required (515) is absorbed: the engine reconnects (a new login on the simulator) and the session stays WORKING', async (t) => {
  // A gateway of its own whose log we read: the simulator logs each login, the engine each 515 it absorbs.
  const { logger, lines } = capturedLogger('debug');
  const own = await startGateway({ logger });
  t.after(() => own.close());
  const i = await own.newInstance('515');
  const phone = newPhone();
  await i.call('POST', '/v2/session/start');
  await own.admin('POST', '/sandbox/scan', {
    qr: await i.qr(),
    phone,
    push_name: 'Restarted',
    platform: 'android',
  });
  const before = await i.waitStatus('WORKING', 'connected');
  const logins = () => lines.filter((l) => l.msg === 'logged in' && l.jid?.startsWith(`${phone}:`)).length;
  const loginsBefore = logins();
  assert.ok(loginsBefore >= 1);
  const mark = lines.length; // pairing itself ends with a 515; only what follows the injected one counts

  const res = await own.admin('POST', `/sandbox/phones/${phone}/disconnect`, {
    mode: 'restart',
  });
  assert.equal(res.body.disconnected, 1, 'the simulator ended one live connection with 515');
  const deadline = Date.now() + 10_000;
  while (logins() === loginsBefore) {
    assert.ok(Date.now() < deadline, 'no new login after the 515');
    await sleep(20);
  }
  assert.equal(logins(), loginsBefore + 1, 'exactly one reconnection');
  const absorbed = lines.slice(mark).filter((l) => l.msg.startsWith('restart required (515)') && l.instanceId === i.id);
  assert.deepEqual(
    absorbed.map((l) => l.restarts),
    [1],
  );
  const after = await i.waitStatus('WORKING', 'connected');
  assert.deepEqual(history(after), history(before), 'absorbed: no status change recorded');
  assert.ok(
    (await own.sessions.sim!.listPhones()).find((p) => p.phone === phone)?.devices[0]?.connected,
    'connected again',
  );
});

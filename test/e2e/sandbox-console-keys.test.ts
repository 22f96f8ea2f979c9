import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newPhone, startGateway } from '../harness/gateway.ts';

/**
 * Sandbox mode must not print Signal session records: libsignal, under the simulated phones, writes them on the
 * console with their private keys when a contact's session changes (sim/quiet-libsignal.ts; the engine's side has its
 * own filter). The simulator's worker thread writes to this process's stdout/stderr, so both are recorded while an
 * account and two contacts exchange texts both ways, then the phone unlinks the device.
 */

function recordOutput(): { text: () => string; stop: () => void } {
  const chunks: string[] = [];
  const originals = [process.stdout.write, process.stderr.write] as const;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      chunks.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
  return {
    text: () => chunks.join(''),
    stop: () => {
      process.stdout.write = originals[0];
      process.stderr.write = originals[1];
    },
  };
}

test('sandbox: texts both ways and an unlink print no session record or key on stdout/stderr', async (t) => {
  const output = recordOutput();
  t.after(() => output.stop());
  const gw = await startGateway({ config: { engineThreads: 1 } });
  t.after(() => gw.close());
  const i = await gw.newInstance('console-keys');
  const phone = newPhone();
  await i.call('POST', '/v2/session/start');
  assert.equal((await gw.admin('POST', '/sandbox/scan', { qr: await i.qr(), phone, push_name: 'Keys' })).status, 200);
  await i.waitStatus('WORKING', 'connected');
  for (const contact of [newPhone(), newPhone()]) {
    for (let n = 0; n < 3; n++) {
      const sent = await gw.admin('POST', `/sandbox/phones/${contact}/messages`, { to: phone, text: `hi ${n}` });
      assert.equal(sent.status, 200, String(sent.raw));
      const back = await i.call('POST', '/v2/send/text', { chatId: `${contact}@c.us`, message: `back ${n}` });
      assert.ok(back.status < 300, String(back.raw));
    }
    const received = async () => (await gw.admin('GET', `/sandbox/phones/${contact}/messages`)).body.length;
    for (let tries = 0; (await received()) < 3 && tries < 100; tries++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await received(), 3, 'the contact got the account’s texts (sessions in both directions)');
  }
  assert.equal((await gw.admin('POST', `/sandbox/phones/${phone}/unlink`)).status, 200);
  await i.waitStatus('FAILED');
  await new Promise((r) => setTimeout(r, 500)); // the worker's output reaches this thread asynchronously
  const text = output.text();
  for (const marker of ['SessionEntry', 'privKey', 'rootKey', 'chainKey'])
    assert.ok(
      !text.includes(marker),
      `"${marker}" printed:\n${text.slice(Math.max(0, text.indexOf(marker) - 300), text.indexOf(marker) + 300)}`,
    );
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Simulator } from '../../../sim/index.ts';
import { startSim } from '../baileys/fixtures/harness.ts';

// The threaded engine keeps Baileys (and what it brings: libsignal, its AsyncLocalStorage) off the main thread. The
// simulator runs here; the engine runs in a child process whose main thread is probed (fixtures/main-thread-modules.ts).

const run = promisify(execFile);
const child = fileURLToPath(new URL('./fixtures/main-thread-modules.ts', import.meta.url));
let sim: Simulator;

before(async () => {
  sim = await startSim();
});
after(async () => {
  await sim?.stop();
});

async function probe(threads: number): Promise<{ qr: boolean; libsignal: boolean }> {
  const args = ['--import', 'tsx', child, sim.url, sim.rootPublicKey.toString('hex'), String(threads)];
  const { stdout } = await run(process.execPath, args, { timeout: 120_000 });
  return JSON.parse(stdout) as { qr: boolean; libsignal: boolean };
}

test('threaded: a session reaches its QR and the main thread never loaded baileys; in-process (control) it did', async () => {
  assert.deepEqual(await probe(1), { qr: true, libsignal: false });
  assert.deepEqual(await probe(0), { qr: true, libsignal: true }, 'the probe sees Baileys when this thread loads it');
});

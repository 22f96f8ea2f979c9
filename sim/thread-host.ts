/**
 * The worker side of startSimulatorThread (thread.ts): one simulator, its calls answered over the parent port. Its
 * log lines go to the parent, whose logger writes them (the parent's level filters here first, so what would be
 * dropped never crosses).
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { asyncSimulator } from './client.ts';
import { createSimulator } from './server.ts';
import { toWireError, type FromSimThread, type SimCall, type SimThreadData } from './thread-protocol.ts';

const port = parentPort!;
const data = workerData as SimThreadData;
const post = (message: FromSimThread): void => port.postMessage(message);
const logger = pino(
  { level: data.logLevel, base: null, timestamp: false },
  { write: (line) => post({ t: 'log', line }) },
);

try {
  const sim = asyncSimulator(await createSimulator({ ...data.options, logger }));
  const methods = new Map<string, (...args: any[]) => Promise<unknown>>();
  for (const [name, fn] of Object.entries(sim)) if (typeof fn === 'function') methods.set(name, fn);
  for (const [name, fn] of Object.entries(sim.faults)) methods.set(`faults.${name}`, fn);
  port.on('message', async ({ id, method, args }: SimCall) => {
    try {
      const fn = methods.get(method);
      if (!fn) throw new Error(`no simulator method ${method}`);
      post({ t: 'result', id, ok: true, value: await fn(...args) });
    } catch (err) {
      post({ t: 'result', id, ok: false, error: toWireError(err) });
    }
  });
  post({ t: 'ready', url: sim.url, rootPublicKey: sim.rootPublicKey });
} catch (err) {
  post({ t: 'failed', error: toWireError(err) });
}

import type { MessagePort } from 'node:worker_threads';
import { createBaileysEngine } from '../baileys/index.ts';
import type { Engine } from '../engine.ts';
import type { EngineWorkerData, FromWorker } from './protocol.ts';
import { workerLogger } from './worker-log.ts';

/**
 * The Baileys engine of one worker thread, logging through the main thread: createBaileysEngine installs the
 * libsignal console filter on this thread's own console (each worker has its own), as it does in-process.
 */
export function hostEngine(port: MessagePort, data: EngineWorkerData): Engine {
  const logger = workerLogger(data.logLevel, (line) => port.postMessage({ t: 'log', line } satisfies FromWorker));
  const { rootPublicKey, ...rest } = data.engine;
  return createBaileysEngine({
    ...rest,
    ...(rootPublicKey ? { rootPublicKey: Buffer.from(rootPublicKey) } : {}),
    logger,
  });
}

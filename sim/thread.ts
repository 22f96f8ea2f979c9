/**
 * The simulator in its own worker thread: its Noise, Signal and app-state crypto (and Baileys' modules, which it uses
 * for its side of the protocol) stay off the thread that called it, e.g. the gateway's HTTP thread in sandbox mode.
 * The handle is a SimulatorClient: every call is a message to the thread, answered with its result or its SimError.
 */
import { Worker } from 'node:worker_threads';
import pino, { type Logger } from 'pino';
import { SimError } from './errors.ts';
import type { FromSimThread, SimCall, SimThreadData, WireError } from './thread-protocol.ts';
import type { SimulatorClient, SimulatorOptions } from './types.ts';

/** A simulator error keeps its class and code across the thread, so callers map it exactly as in-process. */
function fromWire(error: WireError): Error {
  if (error.name === 'SimError' && error.code) return new SimError(error.code, error.message);
  return Object.assign(new Error(error.message), { name: error.name });
}

/** One line of the thread's logger, logged again by `logger` at the same level (its destination and fields apply).
 * The engine's threads do the same (src/engine/threads/worker-log.ts); sim/ shares no code with the gateway. */
function relog(logger: Logger, line: string): void {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const { level, msg, ...fields } = record;
  const label = (logger.levels.labels[level as number] ?? 'info') as pino.Level;
  logger[label](fields, msg as string);
}

export async function startSimulatorThread(opts: SimulatorOptions = {}): Promise<SimulatorClient> {
  const { logger = pino({ level: 'silent' }), ...options } = opts;
  const workerData: SimThreadData = { options, logLevel: logger.level };
  const worker = new Worker(new URL('./thread-worker.mjs', import.meta.url), { workerData });
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let gone: Error | null = null;

  const ready = new Promise<Extract<FromSimThread, { t: 'ready' }>>((resolve, reject) => {
    worker.on('message', (msg: FromSimThread) => {
      if (msg.t === 'log') return relog(logger, msg.line);
      if (msg.t === 'ready') return resolve(msg);
      if (msg.t === 'failed') return reject(fromWire(msg.error));
      const call = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.ok) call?.resolve(msg.value);
      else call?.reject(fromWire(msg.error));
    });
    const end = (err: Error) => {
      gone ??= err;
      reject(err);
      for (const call of pending.values()) call.reject(err);
      pending.clear();
    };
    worker.on('error', end);
    worker.on('exit', (code) => end(new Error(`simulator thread exited (code ${code})`)));
  });
  const started = await ready.catch(async (err: Error) => {
    await worker.terminate();
    throw err;
  });

  const call =
    (method: string) =>
    (...args: unknown[]) =>
      new Promise<any>((resolve, reject) => {
        if (gone) return reject(gone);
        const id = nextId++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, method, args } satisfies SimCall);
      });
  const stopSim = call('stop');
  let stopping: Promise<void> | null = null;

  return {
    url: started.url,
    rootPublicKey: Buffer.from(started.rootPublicKey),
    faults: {
      inject: call('faults.inject'),
      clear: call('faults.clear'),
      pending: call('faults.pending'),
      set: call('faults.set'),
    },
    scan: call('scan'),
    enterCode: call('enterCode'),
    unlink: call('unlink'),
    disconnect: call('disconnect'),
    listPhones: call('listPhones'),
    setPushName: call('setPushName'),
    sendText: call('sendText'),
    receivedMessages: call('receivedMessages'),
    reset: call('reset'),
    devices: call('devices'),
    activity: call('activity'),
    // The simulator stops first (connections dropped, sandbox.db closed), then the thread ends.
    stop: () =>
      (stopping ??= (async () => {
        try {
          if (!gone) await stopSim();
        } finally {
          await worker.terminate();
        }
      })()),
  };
}

import { parentPort, workerData } from 'node:worker_threads';
import type { AuthKeyValue } from '../../domain/index.ts';
import type { EngineSession, EngineSessionEvents } from '../engine.ts';
import {
  toWireError,
  type AuthOp,
  type EngineWorkerData,
  type FromWorker,
  type SessionMethod,
  type ToWorker,
} from './protocol.ts';
import { hostEngine } from './host-engine.ts';

/**
 * The worker side of the threaded engine: one Baileys engine hosting the sessions the main thread places here. Its
 * sessions' auth state is a proxy to the main thread's AuthKeyValue (the store, its encryption and fencing stay
 * there); its log lines go to the main logger, which applies its own redaction and destination. The libsignal console
 * filter is installed on this thread's console by createBaileysEngine, as in-process.
 */

const port = parentPort!;
const data = workerData as EngineWorkerData;
const post = (message: FromWorker): void => port.postMessage(message);

const engine = hostEngine(port, data);
post({ t: 'ready' });

const sessions = new Map<number, EngineSession>();
const asks = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
let nextAsk = 1;

function ask(sid: number, op: AuthOp, args: unknown[]): Promise<any> {
  const id = nextAsk++;
  return new Promise((resolve, reject) => {
    asks.set(id, { resolve, reject });
    post({ t: 'auth', id, sid, op, args });
  });
}

function remoteAuth(sid: number): AuthKeyValue {
  return {
    get: (type, ids) => ask(sid, 'get', [type, ids]),
    set: (writes) => ask(sid, 'set', [writes]),
    clear: () => ask(sid, 'clear', []),
  };
}

const EVENTS: Array<keyof EngineSessionEvents> = ['qr', 'open', 'identity', 'message', 'ack', 'close'];

function start(sid: number, instanceId: string): void {
  const session = engine.start({ instanceId, auth: remoteAuth(sid) });
  sessions.set(sid, session);
  for (const name of EVENTS) {
    session.on(name, (arg: any) => {
      // A closed session writes nothing more (BaileysSession settles its auth state before emitting close).
      if (name === 'close') sessions.delete(sid);
      post({ t: 'event', sid, name, arg, identity: session.identity() });
    });
  }
}

async function call(id: number, sid: number, method: SessionMethod, args: unknown[]): Promise<void> {
  const session = sessions.get(sid);
  try {
    // Gone: it closed, and the main thread, which heard the close first, answers for the closed session.
    if (!session) throw Object.assign(new Error('engine session already closed'), { name: 'EngineSessionGone' });
    const fn = session[method] as (...a: unknown[]) => Promise<unknown>;
    const value = await fn.apply(session, args);
    post({ t: 'result', id, ok: true, value, identity: session.identity() });
  } catch (err) {
    post({ t: 'result', id, ok: false, error: toWireError(err), identity: session?.identity() ?? null });
  }
}

port.on('message', (msg: ToWorker) => {
  switch (msg.t) {
    case 'start':
      return start(msg.sid, msg.instanceId);
    case 'call':
      return void call(msg.id, msg.sid, msg.method, msg.args);
    case 'auth': {
      const pending = asks.get(msg.id);
      asks.delete(msg.id);
      if (!pending) return;
      if (msg.ok) pending.resolve(msg.value);
      else pending.reject(Object.assign(new Error(msg.error.message), { name: msg.error.name }));
    }
  }
});

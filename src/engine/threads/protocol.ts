import type { BaileysEngineOptions } from '../baileys/index.ts';
import type { EngineIdentity, EngineSessionEvents } from '../engine.ts';

/**
 * The messages between the main thread and an engine worker (structured clone over the worker's port; Buffers and
 * Uint8Arrays travel as they are). Sessions are numbered by the main thread (`sid`); requests in either direction
 * carry an `id` their answer repeats. Events and answers of one session travel the same port in order, so a close
 * always arrives before the answer of the end()/logout() that caused it.
 */

/**
 * What the worker needs to build its Baileys engine: its options without the logger (made in the worker, see
 * worker-log.ts) and with the root key as the Uint8Array a Buffer becomes in transit. A type-only import: nothing of
 * ../baileys is loaded on the main thread.
 */
export type EngineWorkerOptions = Omit<BaileysEngineOptions, 'logger' | 'rootPublicKey'> & {
  rootPublicKey?: Uint8Array;
};

export interface EngineWorkerData {
  engine: EngineWorkerOptions;
  /** The main logger's level: the worker drops what the main logger would drop, before it crosses threads. */
  logLevel: string;
}

export type SessionMethod = 'requestPairingCode' | 'logout' | 'end' | 'sendText' | 'sendTyping' | 'markRead';
export type AuthOp = 'get' | 'set' | 'clear';

/** An error as it crosses threads: its class name and message (the stack stays in the worker's log). */
export interface WireError {
  name: string;
  message: string;
}

export type ToWorker =
  | { t: 'start'; sid: number; instanceId: string }
  | { t: 'call'; id: number; sid: number; method: SessionMethod; args: unknown[] }
  | { t: 'auth'; id: number; ok: true; value: unknown }
  | { t: 'auth'; id: number; ok: false; error: WireError };

type EventName = keyof EngineSessionEvents;

export type FromWorker =
  | {
      t: 'event';
      sid: number;
      name: EventName;
      arg: EngineSessionEvents[EventName][0];
      /** session.identity() right after the event, so the main thread's copy is never behind the events. */
      identity: EngineIdentity | null;
    }
  | { t: 'result'; id: number; ok: true; value: unknown; identity: EngineIdentity | null }
  | { t: 'result'; id: number; ok: false; error: WireError; identity: EngineIdentity | null }
  | { t: 'auth'; id: number; sid: number; op: AuthOp; args: unknown[] }
  /** The worker's engine is built (Baileys loaded): sent once, before anything else. */
  | { t: 'ready' }
  /** One pino JSON line of the worker's logger (without time, pid, hostname), re-logged by the main logger. */
  | { t: 'log'; line: string };

export function toWireError(err: unknown): WireError {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

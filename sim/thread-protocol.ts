/** Messages between a simulator thread's client (thread.ts) and its host (thread-host.ts). */
import type { SimulatorOptions } from './types.ts';

export interface SimThreadData {
  /** The simulator's options, its logger replaced by the level the host's logger filters at. */
  options: Omit<SimulatorOptions, 'logger'>;
  logLevel: string;
}

/** A method of SimulatorClient: `scan`, …, or `faults.inject`, `faults.clear`, `faults.pending`, `faults.set`. */
export interface SimCall {
  id: number;
  method: string;
  args: unknown[];
}

export interface WireError {
  name: string;
  message: string;
  code?: string;
}

export type FromSimThread =
  | { t: 'ready'; url: string; rootPublicKey: Uint8Array }
  | { t: 'failed'; error: WireError }
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: WireError }
  | { t: 'log'; line: string };

export function toWireError(err: unknown): WireError {
  const e = err as { name?: string; message?: string; code?: unknown };
  return {
    name: e?.name ?? 'Error',
    message: e?.message ?? String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
  };
}

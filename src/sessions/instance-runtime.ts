import type { AuthKeyValue } from '../domain/index.ts';
import type { EngineQr } from '../engine/index.ts';
import type { Attempt } from './connection-attempt.ts';
import type { InstanceRecord } from '../store/index.ts';
import type { LifecycleEvent } from './lifecycle.ts';
import type { SessionStatus, StatusReason } from '../domain/index.ts';
import { waitFor } from '../lib/index.ts';

/** What the manager keeps in memory per instance it runs on this node (the store stays the source of truth). */
export interface Runtime {
  id: string;
  status: SessionStatus;
  reason: StatusReason;
  auth: AuthKeyValue;
  attempt: Attempt | null;
  /** Consecutive failed attempts; reset by a command, a QR or an open. */
  failures: number;
  retryTimer: NodeJS.Timeout | null;
  qr: EngineQr | null;
  /** Woken when a QR arrives or the attempt ends. */
  qrWaiters: Set<() => void>;
}

/** A runtime for an instance as stored, with no connection yet. */
export function newRuntime(instance: Pick<InstanceRecord, 'id' | 'status' | 'reason'>, auth: AuthKeyValue): Runtime {
  return {
    id: instance.id,
    status: instance.status,
    reason: instance.reason,
    auth,
    attempt: null,
    failures: 0,
    retryTimer: null,
    qr: null,
    qrWaiters: new Set(),
  };
}

/** Waits (up to timeoutMs) while the session is in SCAN_QR_CODE with a live attempt that has not shown a QR yet. */
export async function qrShown(rt: Runtime, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (rt.status === 'SCAN_QR_CODE' && rt.attempt !== null && rt.qr === null && Date.now() < deadline) {
    await waitFor(rt.qrWaiters, deadline - Date.now());
  }
}

/** The statuses of a session that should be connected: boot restore resumes instances stored in them. */
export const RUNNING_STATUSES: readonly SessionStatus[] = ['WORKING', 'STARTING', 'SCAN_QR_CODE'];

export function isRunning(status: SessionStatus): boolean {
  return RUNNING_STATUSES.includes(status);
}

export function isCommand(event: LifecycleEvent): boolean {
  return event === 'start' || event === 'restart' || event === 'logout' || event === 'boot' || event === 'node_lost';
}

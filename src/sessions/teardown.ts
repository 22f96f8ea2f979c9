import type { Logger } from 'pino';
import type { Transition } from './lifecycle.ts';
import type { Runtime } from './instance-runtime.ts';
import { wake, withTimeout } from '../lib/index.ts';

/**
 * Taking an instance's engine connection down, apart from the lifecycle decisions that call for it: cancel the
 * retry timer, make the attempt non-current (its later events are dropped), then end or unlink within a time limit.
 */

export function clearRetry(rt: Runtime): void {
  if (rt.retryTimer) clearTimeout(rt.retryTimer);
  rt.retryTimer = null;
}

/** Arms the instance's retry timer (replacing none: callers clear first); `fire` runs once unless cleared meanwhile. */
export function armRetry(rt: Runtime, delayMs: number, fire: () => void): void {
  const timer = setTimeout(() => {
    if (rt.retryTimer !== timer) return;
    rt.retryTimer = null;
    fire();
  }, delayMs);
  rt.retryTimer = timer;
}

/** Makes the attempt non-current: its later events are ignored. */
export function detach(rt: Runtime): void {
  const attempt = rt.attempt;
  if (!attempt) return;
  rt.attempt = null;
  rt.qr = null;
  attempt.dispose();
  wake(rt.qrWaiters);
}

/** Takes the current connection down (end, or unlink when it is open) and cancels any pending retry. */
export async function teardown(
  rt: Runtime,
  effect: Exclude<Transition['session'], 'keep'>,
  timeoutMs: number,
  log: Logger,
): Promise<void> {
  clearRetry(rt);
  const attempt = rt.attempt;
  if (!attempt) return;
  detach(rt);
  const unlink = (effect === 'unlink' || effect === 'unlink_and_connect') && attempt.opened;
  try {
    await withTimeout(unlink ? attempt.session.logout() : attempt.session.end(), timeoutMs);
  } catch (err) {
    log.warn({ err, instanceId: rt.id, unlink }, 'engine teardown failed');
    // An unlink that failed still has to end the connection; credentials are cleared by the caller.
    if (unlink) await withTimeout(attempt.session.end(), timeoutMs).catch(() => undefined);
  }
  attempt.session.removeAllListeners();
}

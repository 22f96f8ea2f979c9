import type { Logger } from 'pino';
import type { AuthKeyValue } from '../../domain/index.ts';
import { hasLinkedCreds, newMessageId } from '../creds.ts';
import type { Engine, EngineSession, EngineStartOptions } from '../engine.ts';
import { quietLibsignal } from '../libsignal-console.ts';
import { EngineWorker } from './engine-worker.ts';
import type { EngineWorkerOptions } from './protocol.ts';

export interface ThreadedEngineOptions extends EngineWorkerOptions {
  /** Worker threads hosting the sessions (≥ 1). */
  threads: number;
  /** The main logger: worker lines are re-logged through it (its level is read once, here). */
  logger: Logger;
}

export interface ThreadedEngine extends Engine {
  /**
   * Resolves when the first workers have loaded their engine. Sessions may start before (their messages wait in the
   * port), but a gateway awaits it so that, as in-process, Baileys is loaded before it listens, and the first QRs do
   * not wait for a thread's start-up.
   */
  readonly ready: Promise<void>;
  /** Thread ids of the live engine workers and how many sessions each hosts. */
  workers(): Array<{ threadId: number; sessions: number }>;
  /** Ends one worker as if it had crashed (operators' and tests' handle on the crash path); a new one replaces it. */
  terminateWorker(threadId: number): Promise<void>;
  /** Ends every worker; sessions should have been ended before. Idempotent. */
  close(): Promise<void>;
}

/** A worker that dies sooner than this after its start is replaced only after RESPAWN_DELAY_MS (no crash loop). */
const EARLY_DEATH_MS = 5_000;
const RESPAWN_DELAY_MS = 1_000;

/**
 * The Engine over worker threads: each thread hosts a Baileys engine (src/engine/threads/host.ts), and every session
 * goes to the thread hosting the fewest. The CPU-heavy work of pairing and connecting (pre-key generation, Noise and
 * Signal crypto, app-state sync) then runs off the thread that answers HTTP, and the main thread never loads
 * `baileys` (nor its AsyncLocalStorage, which switches async hooks on process-wide). isLinked and newMessageId need
 * no Baileys and run here. The auth state stays on the main thread: workers ask for every get/set/clear.
 */
export function createThreadedEngine(opts: ThreadedEngineOptions): ThreadedEngine {
  const { threads, logger, ...engine } = opts;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError('threads must be a positive integer');
  const data = { engine, logLevel: logger.level };
  const log = logger.child({ module: 'engine-threads' });
  // The workers filter their own consoles; this one is the main thread's, where libsignal may still run (the sandbox's
  // embedded simulator), as the in-process engine filtered it.
  quietLibsignal(logger.child({ engine: 'baileys' }));
  const pool: EngineWorker[] = [];
  const born = new Map<EngineWorker, number>();
  let nextSid = 1;
  let closed = false;

  const spawn = (): void => {
    const worker = new EngineWorker(data, logger, onExit);
    born.set(worker, Date.now());
    pool.push(worker);
  };
  function onExit(worker: EngineWorker): void {
    pool.splice(pool.indexOf(worker), 1);
    const lived = Date.now() - (born.get(worker) ?? 0);
    born.delete(worker);
    if (closed) return;
    if (lived >= EARLY_DEATH_MS) return spawn();
    log.warn({ lived }, 'engine worker died early; replacing it after a pause');
    setTimeout(() => closed || pool.length >= threads || spawn(), RESPAWN_DELAY_MS).unref();
  }
  for (let i = 0; i < threads; i++) spawn();
  const ready = Promise.all(pool.map((w) => w.ready)).then(() => undefined);

  const leastLoaded = (): EngineWorker => {
    const live = pool.filter((w) => !w.stopping);
    if (live.length === 0) spawn();
    return (live.length ? live : pool).reduce((best, w) => (w.load < best.load ? w : best));
  };

  return {
    name: 'BAILEYS',
    ready,
    start({ instanceId, auth }: EngineStartOptions): EngineSession {
      if (closed) throw new Error('the engine is closed');
      return leastLoaded().start(nextSid++, instanceId, auth);
    },
    isLinked: (auth: AuthKeyValue): Promise<boolean> => hasLinkedCreds(auth),
    newMessageId,
    workers: () => pool.map((w) => ({ threadId: w.threadId, sessions: w.load })),
    async terminateWorker(threadId: number): Promise<void> {
      const worker = pool.find((w) => w.threadId === threadId);
      if (!worker) throw new RangeError(`no engine worker with thread id ${threadId}`);
      await worker.crash();
    },
    async close(): Promise<void> {
      closed = true;
      await Promise.all(pool.map((w) => w.stop()));
    },
  };
}

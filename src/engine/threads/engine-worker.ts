import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { AuthKeyValue } from '../../domain/index.ts';
import type { EngineIdentity } from '../engine.ts';
import { toWireError, type EngineWorkerData, type FromWorker, type SessionMethod, type ToWorker } from './protocol.ts';
import { fromWireError, RemoteSession, type SessionLink } from './remote-session.ts';
import { relog } from './worker-log.ts';

const BOOTSTRAP = new URL('./worker.mjs', import.meta.url);

interface PendingCall {
  resolve: (answer: { value: unknown; identity: EngineIdentity | null }) => void;
  reject: (err: Error) => void;
}

/**
 * One engine worker thread and the sessions it hosts, seen from the main thread: starts sessions there, carries
 * their calls and events, and answers the worker's auth-state requests from each session's own AuthKeyValue. When
 * the thread dies, every session it hosted closes as connection_lost (transient) exactly once.
 */
export class EngineWorker implements SessionLink {
  readonly #worker: Worker;
  readonly threadId: number;
  readonly #logger: Logger;
  readonly #sessions = new Map<number, RemoteSession>();
  readonly #calls = new Map<number, PendingCall>();
  #nextCall = 1;
  #stopping = false;
  #exited = false;
  readonly exited: Promise<number>;
  /** Resolves once the thread has loaded its engine (or has exited trying). */
  readonly ready: Promise<void>;
  #ready!: () => void;

  constructor(data: EngineWorkerData, logger: Logger, onExit: (worker: EngineWorker, code: number) => void) {
    this.#logger = logger;
    this.#worker = new Worker(BOOTSTRAP, { workerData: data });
    // The HTTP server keeps a gateway alive; the engine threads alone must not keep a finished test or CLI running.
    this.#worker.unref();
    this.threadId = this.#worker.threadId;
    this.#worker.on('message', (msg: FromWorker) => this.#onMessage(msg));
    this.#worker.on('error', (err) => logger.error({ err }, 'engine worker failed'));
    this.ready = new Promise((resolve) => (this.#ready = resolve));
    this.exited = new Promise((resolve) =>
      this.#worker.once('exit', (code) => {
        this.#onExit(code);
        onExit(this, code);
        resolve(code);
      }),
    );
  }

  /** Sessions that have not closed. */
  get load(): number {
    return this.#sessions.size;
  }

  get stopping(): boolean {
    return this.#stopping || this.#exited;
  }

  start(sid: number, instanceId: string, auth: AuthKeyValue): RemoteSession {
    const session = new RemoteSession(this, sid, auth);
    this.#sessions.set(sid, session);
    this.#post({ t: 'start', sid, instanceId });
    return session;
  }

  call(
    sid: number,
    method: SessionMethod,
    args: unknown[],
  ): Promise<{ value: unknown; identity: EngineIdentity | null }> {
    if (this.#exited)
      return Promise.reject(Object.assign(new Error('engine worker exited'), { name: 'EngineSessionGone' }));
    const id = this.#nextCall++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      this.#post({ t: 'call', id, sid, method, args });
    });
  }

  /** Ends the thread (its sessions are expected to be ended already; any left close as connection_lost). */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#worker.terminate();
    await this.exited;
  }

  /** Ends the thread the way a crash would: its sessions close as connection_lost and the pool replaces it. */
  async crash(): Promise<void> {
    await this.#worker.terminate();
    await this.exited;
  }

  #post(msg: ToWorker): void {
    this.#worker.postMessage(msg);
  }

  #onMessage(msg: FromWorker): void {
    switch (msg.t) {
      case 'event': {
        const session = this.#sessions.get(msg.sid);
        if (msg.name === 'close') this.#sessions.delete(msg.sid);
        session?.deliver(msg.name, msg.arg, msg.identity);
        return;
      }
      case 'result': {
        const pending = this.#calls.get(msg.id);
        this.#calls.delete(msg.id);
        if (!pending) return;
        if (msg.ok) pending.resolve({ value: msg.value, identity: msg.identity });
        else pending.reject(fromWireError(msg.error));
        return;
      }
      case 'auth':
        return void this.#answerAuth(msg.id, msg.sid, msg.op, msg.args);
      case 'log':
        return relog(this.#logger, msg.line);
      case 'ready':
        return this.#ready();
    }
  }

  async #answerAuth(id: number, sid: number, op: 'get' | 'set' | 'clear', args: unknown[]): Promise<void> {
    try {
      const auth = this.#sessions.get(sid)?.auth;
      if (!auth) throw new Error('auth state request from a closed engine session');
      const value = await (auth[op] as (...a: unknown[]) => Promise<unknown>).apply(auth, args);
      this.#post({ t: 'auth', id, ok: true, value });
    } catch (err) {
      this.#post({ t: 'auth', id, ok: false, error: toWireError(err) });
    }
  }

  #onExit(code: number): void {
    this.#exited = true;
    this.#ready();
    if (!this.#stopping)
      this.#logger.error({ code, threadId: this.threadId }, 'engine worker exited; its sessions are lost');
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const session of sessions) session.lost(`engine worker exited (code ${code})`);
    const gone = Object.assign(new Error('engine worker exited'), { name: 'EngineSessionGone' });
    for (const pending of this.#calls.values()) pending.reject(gone);
    this.#calls.clear();
  }
}

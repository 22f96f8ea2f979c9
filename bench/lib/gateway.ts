/**
 * The gateway of the end-to-end tests (test/harness/gateway.ts, i.e. createGateway as main.ts uses it), in sandbox
 * mode against a simulator in another process, for benches. Production manager options (no shortened backoff
 * or timeouts, unlike the e2e tests). Adds what benches need on top: a JSON HTTP client and a log of
 * session.status events with their arrival times, so a bench can await "instance X reached WORKING".
 */
import type { FastifyInstance } from 'fastify';
import type { BusMessage } from '../../src/events/index.ts';
import type { SessionServices } from '../../src/gateway/index.ts';
import type { SessionManagerDeps } from '../../src/sessions/index.ts';
import type { Store } from '../../src/store/index.ts';
import { startGateway } from '../../test/harness/gateway.ts';
import { asyncSimulator } from '../../sim/index.ts';
import { remoteSimulator, type RemoteSimInfo } from './remote-sim.ts';

export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

export interface Answer {
  status: number;
  body: any;
}

export interface StatusEvent {
  status: string;
  reason: string;
  /** performance.now() when the bus delivered it (after the store transaction committed). */
  t: number;
}

/**
 * Every session.status seen on the bus, per instance, in order. The bus is what feeds webhooks and streams, so
 * "the moment the event was published" is the moment a subscribed client could learn of the change.
 */
export class StatusLog {
  readonly #events = new Map<string, StatusEvent[]>();
  readonly #waiters = new Set<{ id: string; status: string; from: number; resolve: (e: StatusEvent) => void }>();

  onMessage(m: BusMessage): void {
    if (m.envelope.event !== 'session.status') return;
    const p = m.envelope.payload as { status: string; reason: string };
    const e: StatusEvent = { status: p.status, reason: p.reason, t: performance.now() };
    const id = m.envelope.instance_id;
    const list = this.#events.get(id) ?? [];
    list.push(e);
    this.#events.set(id, list);
    for (const w of this.#waiters) {
      if (w.id === id && w.status === e.status && list.length - 1 >= w.from) {
        this.#waiters.delete(w);
        w.resolve(e);
      }
    }
  }

  events(id: string): readonly StatusEvent[] {
    return this.#events.get(id) ?? [];
  }

  /** Instances whose latest event has this status. */
  countLatest(status: string): number {
    let n = 0;
    for (const list of this.#events.values()) if (list[list.length - 1]?.status === status) n++;
    return n;
  }

  /** First event with `status` at index ≥ from (default: any seen so far counts). */
  wait(id: string, status: string, timeoutMs: number, from = 0): Promise<StatusEvent> {
    const seen = this.events(id)
      .slice(from)
      .find((e) => e.status === status);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { id, status, from, resolve: (e: StatusEvent) => (clearTimeout(timer), resolve(e)) };
      const timer = setTimeout(() => {
        this.#waiters.delete(w);
        const last = this.events(id).at(-1);
        reject(new Error(`${id}: no ${status} within ${timeoutMs} ms (last ${last?.status}/${last?.reason})`));
      }, timeoutMs);
      this.#waiters.add(w);
    });
  }
}

export interface BenchGateway {
  url: string;
  app: FastifyInstance;
  store: Store;
  sessions: SessionServices;
  statuses: StatusLog;
  call(
    method: string,
    path: string,
    opts?: { query?: Record<string, string>; body?: unknown; admin?: boolean },
  ): Promise<Answer>;
  /** Calls an instance route with that instance's credentials in the query (Wawp style). */
  instanceCall(token: string, id: string, method: string, path: string, body?: unknown): Promise<Answer>;
  close(): Promise<{ httpMs: number; sessionsMs: number }>;
}

export async function startBenchGateway(opts: {
  dir: string;
  masterKey: Buffer;
  sim: RemoteSimInfo;
  managerOptions?: SessionManagerDeps['options'];
  /** PostgreSQL instead of SQLite in `dir`, in this (throwaway) schema. */
  postgres?: { url: string; schema: string };
}): Promise<BenchGateway> {
  const gw = await startGateway({
    dir: opts.dir,
    postgres: opts.postgres,
    masterKey: opts.masterKey,
    simulator: asyncSimulator(remoteSimulator(opts.sim)),
    managerOptions: opts.managerOptions,
    shortTimers: false,
    adminToken: ADMIN_TOKEN,
    serverName: 'bench',
    logLevel: process.env.BENCH_LOG_LEVEL ?? 'silent',
  });
  const { app, sessions, store } = gw;
  const statuses = new StatusLog();
  sessions.bus.subscribe((m) => statuses.onMessage(m));

  const call: BenchGateway['call'] = async (method, path, o = {}) => {
    const headers = o.admin ? { authorization: `Bearer ${ADMIN_TOKEN}` } : undefined;
    const a = await gw.call(method, path, { query: o.query, body: o.body, headers });
    return { status: a.status, body: a.body ?? a.raw.toString('utf8') };
  };

  return {
    url: gw.url,
    app,
    store,
    sessions,
    statuses,
    call,
    instanceCall: (token, id, method, path, body) =>
      call(method, path, { query: { access_token: token, instance_id: id }, body }),
    async close() {
      let t = performance.now();
      await app.close();
      const httpMs = performance.now() - t;
      t = performance.now();
      await sessions.close(); // manager.shutdown(): ends connections, keeps credentials and the stored status
      const sessionsMs = performance.now() - t;
      await store.close();
      return { httpMs, sessionsMs };
    },
  };
}

/** Throws with the answer in the message unless the status is the expected one. */
export function expectStatus(a: Answer, status: number, what: string): Answer {
  if (a.status !== status) throw new Error(`${what}: HTTP ${a.status} ${JSON.stringify(a.body)}`);
  return a;
}

/** Runs fn over items with at most `limit` in flight; rejects with the first failure after all settled. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let firstError: unknown = null;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (err) {
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (firstError) throw firstError;
  return out;
}

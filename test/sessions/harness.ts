import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { EventBus, type BusMessage } from '../../src/events/index.ts';
import { newInstanceId } from '../../src/lib/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store, InstanceConfig } from '../../src/store/index.ts';
import { SessionManager, type SessionManagerDeps } from '../../src/sessions/index.ts';
import type { SessionStatus, StatusReason } from '../../src/domain/index.ts';
import { FakeEngine } from './fake-engine.ts';

/** A SessionManager over the real SQLite store (temp dir) and a scripted engine. */
export interface Harness {
  store: Store;
  engine: FakeEngine;
  bus: EventBus;
  published: BusMessage[];
  manager: SessionManager;
  masterKey: Buffer;
  accountId: string;
  createInstance(opts?: Partial<InstanceConfig> & { status?: SessionStatus; reason?: StatusReason }): Promise<string>;
  waitStatus(id: string, status: SessionStatus, reason?: StatusReason, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function harness(options: SessionManagerDeps['options'] = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-sessions-'));
  const store = await openStore({ dataDir: dir });
  const engine = new FakeEngine();
  const bus = new EventBus();
  const published: BusMessage[] = [];
  bus.subscribe((m) => published.push(m));
  const masterKey = randomBytes(32);
  const manager = new SessionManager({
    store,
    engine,
    bus,
    masterKey,
    logger: pino({ level: 'silent' }),
    options: { startTimeoutMs: 5000, backoff: { baseMs: 10, maxMs: 40, jitter: 0 }, ...options },
  });
  const account = await store.createAccount({ name: 'acme', maxInstances: 100 });
  let closed = false;
  return {
    store,
    engine,
    bus,
    published,
    manager,
    masterKey,
    accountId: account.id,
    async createInstance(opts = {}) {
      const id = newInstanceId();
      await store.createInstance({
        id,
        accountId: account.id,
        name: `inst-${id}`,
        config: { expectedPhone: opts.expectedPhone ?? null, signature: null },
        status: opts.status ?? 'STOPPED',
        reason: opts.reason ?? 'created',
      });
      return id;
    },
    async waitStatus(id, status, reason, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const inst = await store.getInstance(id);
        if (inst?.status === status && (reason === undefined || inst.reason === reason)) return;
        if (Date.now() > deadline) {
          throw new Error(`${id}: wanted ${status}/${reason ?? '*'}, is ${inst?.status}/${inst?.reason}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await manager.shutdown();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Status history oldest first, as "STATUS/reason" strings. */
export async function historyOf(store: Store, id: string): Promise<string[]> {
  const h = await store.listStatusHistory(id, 100);
  return h.reverse().map((c) => `${c.status}/${c.reason}`);
}

/** Waits until the queue has processed the events emitted so far. */
export const settle = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms));

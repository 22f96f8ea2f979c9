import { createPostgresClusterStore, createPostgresStore } from '../../src/store/postgres/index.ts';
import type { ClusterStore } from '../../src/store/cluster-types.ts';
import type { ClusterOptions } from '../../src/cluster/index.ts';
import type { Store } from '../../src/store/index.ts';
import type { SessionStatus } from '../../src/domain/index.ts';
import { PG_URL, dropSchema, randomSchema } from '../store/pg.ts';

export { PgRelay } from '../harness/pg-relay.ts';

/** The default timings' proportions, shortened: tests wait on them, never measure them. */
export const FAST: Partial<ClusterOptions> = {
  ttlMs: 3_000,
  renewEveryMs: 200,
  retryEveryMs: 100,
  renewDeadlineMs: 1_200,
  scanEveryMs: 100,
  joinDelayMs: 300,
};

/** One throwaway schema, migrated, with an account to hang instances on; nodes are separate pools on it. */
export interface ClusterFixture {
  schema: string;
  store: Store;
  accountId: string;
  instances(count: number, status: SessionStatus): Promise<string[]>;
  /** A node's lease store: its own pool, as a separate process would have. */
  node(opts?: { url?: string; timeoutMs?: number }): ClusterStore;
  close(): Promise<void>;
}

let serial = 0;

export async function clusterFixture(): Promise<ClusterFixture> {
  const schema = randomSchema();
  const store = createPostgresStore({ url: PG_URL, schema, maxConnections: 4 });
  await store.migrate();
  const account = await store.createAccount({ name: 'cluster', maxInstances: 10_000 });
  const opened: ClusterStore[] = [];
  return {
    schema,
    store,
    accountId: account.id,
    async instances(count, status) {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const id = `cl${String(++serial).padStart(10, '0')}`;
        await store.createInstance({
          id,
          accountId: account.id,
          name: id,
          config: { expectedPhone: null, signature: null },
          status,
          reason: 'created',
        });
        ids.push(id);
      }
      return ids;
    },
    node({ url = PG_URL, timeoutMs = 500 } = {}) {
      const node = createPostgresClusterStore({ url, schema, maxConnections: 3, timeoutMs });
      opened.push(node);
      return node;
    },
    async close() {
      await Promise.all(opened.map((n) => n.close().catch(() => undefined)));
      await store.close();
      await dropSchema(schema);
    },
  };
}

/** Polls `check` until it returns a value other than undefined (tests wait on real timers, never assert durations). */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  ms = 15_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

import { randomBytes } from 'node:crypto';
import { newInstanceId } from '../../src/lib/index.ts';
import type { SessionStatus } from '../../src/domain/index.ts';
import type { Account, InstanceRecord, Store } from '../../src/store/index.ts';

/** Each contract section gets the store lazily: it is opened in a `before` hook of storeContract. */
export type GetStore = () => Store;

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

export function newAccount(store: Store, maxInstances = 10): Promise<Account> {
  return store.createAccount({ name: unique('acct'), maxInstances });
}

export function newInstance(
  store: Store,
  accountId: string,
  opts: { id?: string; status?: SessionStatus; name?: string } = {},
): Promise<InstanceRecord> {
  return store.createInstance({
    id: opts.id ?? newInstanceId(),
    accountId,
    name: opts.name ?? unique('inst'),
    config: { expectedPhone: null, signature: null },
    status: opts.status ?? 'STOPPED',
    reason: 'created',
  });
}

/** Distinct, increasing ISO timestamps, so ordering assertions never depend on the clock's resolution. */
export function timeline(start = Date.UTC(2026, 0, 1)): () => string {
  let t = start;
  return () => new Date((t += 1000)).toISOString();
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../../src/store/index.ts';
import { tenancyContract } from './contract-tenancy.ts';
import { instancesContract } from './contract-instances.ts';
import { dataContract } from './contract-data.ts';
import { webhooksContract } from './contract-webhooks.ts';
import { outboundContract } from './contract-outbound.ts';

/**
 * The behaviour every Store must have, run against each implementation (sqlite.test.ts, postgres.test.ts).
 * One store per run; tests isolate themselves with fresh accounts and random keys rather than by emptying tables.
 */
export function storeContract(
  name: string,
  factory: () => Promise<{ store: Store; cleanup: () => Promise<void> }>,
): void {
  describe(`Store contract: ${name}`, () => {
    let opened: { store: Store; cleanup: () => Promise<void> } | undefined;
    const store = (): Store => {
      if (!opened) throw new Error('store not opened');
      return opened.store;
    };

    before(async () => {
      opened = await factory();
    });
    after(async () => {
      await opened?.cleanup();
    });

    test('migrate is idempotent', async () => {
      await store().migrate();
      await store().migrate();
      assert.ok(['sqlite', 'postgres'].includes(store().kind));
    });

    tenancyContract(store);
    instancesContract(store);
    dataContract(store);
    webhooksContract(store);
    outboundContract(store);
  });
}

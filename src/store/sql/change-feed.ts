import type { StoreChange, StoreChanges } from '../store.ts';
import type { SqlDriver } from './sql-driver.ts';

/** Store.changes of a SqlStore: the driver's external version plus this store's own writes, told to listeners. */
export class ChangeFeed implements StoreChanges {
  readonly #listeners = new Set<(change: StoreChange) => void>();

  constructor(private readonly driver: SqlDriver) {}

  externalVersion(): number | null {
    return this.driver.externalVersion();
  }

  subscribe(listener: (change: StoreChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(change: StoreChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}

import type { StoreChange, StoreChanges } from '../store.ts';
import type { SqlDriver } from './sql-driver.ts';

/**
 * Store.changes of a SqlStore: the driver's external version, plus changes told to listeners: this store's own writes,
 * and the ones other connections committed where the driver announces them (PostgreSQL's LISTEN/NOTIFY).
 */
export class ChangeFeed implements StoreChanges {
  readonly #listeners = new Set<(change: StoreChange) => void>();

  constructor(private readonly driver: SqlDriver) {
    driver.subscribeExternal?.((change) => this.emit(change));
  }

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

/**
 * Per-instance serialisation: commands (start, stop, logout, …), engine events and timer firings for one
 * instance run one after another, so every handler sees the status the previous one left. Different instances
 * run in parallel. A task that throws does not break the chain for the tasks queued after it.
 */
export class KeyedSerialQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    // Drop the key once its chain is idle, so the map does not grow with every instance ever touched.
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Keys with queued or running work (tests, diagnostics). */
  get activeKeys(): number {
    return this.#tails.size;
  }
}

/** Runs fn over items with at most `limit` calls in flight; resolves when all have settled. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  if (!(limit >= 1)) throw new RangeError(`limit must be >= 1: ${limit}`);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch {
        // one item's failure must not stop the others; fn reports its own errors
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

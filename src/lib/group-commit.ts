/**
 * Group commit: callers add items one at a time and get a promise each; items added in the same turn of the event
 * loop (or up to `max`) are written by one `flush` call, i.e. one store transaction instead of one per item. On
 * SQLite that turns thousands of commits per second into a few hundred; on PostgreSQL it saves round trips.
 */
export class GroupCommit<T, R> {
  #queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  #scheduled = false;

  /** `delayMs`: how long the first item of a batch waits for company (0: until the end of this event-loop turn). */
  constructor(
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly max = 256,
    private readonly delayMs = 0,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#queue.length >= this.max) this.#run();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        if (this.delayMs > 0) setTimeout(() => this.#run(), this.delayMs);
        else setImmediate(() => this.#run());
      }
    });
  }

  #run(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    this.flush(batch.map((b) => b.item)).then(
      (results) => batch.forEach((b, i) => b.resolve(results[i]!)),
      (err) => batch.forEach((b) => b.reject(err)),
    );
  }
}

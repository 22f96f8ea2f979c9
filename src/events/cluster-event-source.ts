import { coalescedRun } from '../lib/index.ts';
import type { EventStore, StoreChanges } from '../store/index.ts';
import type { BusMessage, EventSource } from './event-bus.ts';
import type { EventEnvelope } from './envelope.ts';

/**
 * The live events of EVERY node, for the SSE/WebSocket streams of this one (PostgreSQL, docs/multi-node.md "Change
 * feed"). The in-process bus only carries this node's events, and mixing it with another source cannot be ordered (a
 * local event may be published before an earlier one of another node has been read), so on PostgreSQL the streams read
 * one ordered source: the outbox itself. The store makes seqs visible in commit order (appends are serialized), so
 * reading `seq > last read` in pages never skips a late commit, and each event is read once.
 *
 * A read runs when the change feed announces appended events (`events` notices, whoever appended), when this node
 * publishes one (no notification round trip for local events), and every `pollMs` while the listener is down or after
 * it came back with a new version (notifications sent meanwhile were lost): then it catches up from the last seq read,
 * so a reconnect leaves no gap. Reads never overlap; a wake-up during a read is followed by one more.
 */

export interface ClusterEventSourceOptions {
  store: EventStore & { readonly changes?: StoreChanges };
  /** This node's bus: a local publish wakes a read at once. */
  local: EventSource;
  onError?: (err: unknown) => void;
  /** Version check period (catch-up after a listener reconnect, polling while it is down). Default 1 s. */
  pollMs?: number;
  /** Rows per read. */
  page?: number;
}

export class ClusterEventSource implements EventSource {
  readonly #opts: ClusterEventSourceOptions;
  readonly #listeners = new Set<(message: BusMessage) => void>();
  readonly #unsubscribe: Array<() => void> = [];
  #cursor = 0;
  #version: number | null = null;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** The last read failed (database unreachable): the poll retries it even if no notice comes. */
  #failed = false;

  constructor(opts: ClusterEventSourceOptions) {
    this.#opts = opts;
  }

  /** Starts after the newest event stored now (streams replay older ones themselves, by Last-Event-ID). */
  async start(): Promise<void> {
    this.#version = this.#opts.store.changes?.externalVersion() ?? null;
    this.#cursor = await this.#opts.store.lastEventSeq();
    const wake = (): void => void this.read();
    this.#unsubscribe.push(
      this.#opts.local.subscribe(wake),
      this.#opts.store.changes?.subscribe((change) => change.kind === 'events' && wake()) ?? (() => undefined),
    );
    this.#timer = setInterval(() => {
      const version = this.#opts.store.changes?.externalVersion() ?? null;
      if (version !== null && version === this.#version && !this.#failed) return;
      this.#version = version;
      wake();
    }, this.#opts.pollMs ?? 1000);
    this.#timer.unref();
    // Whatever was appended between the MAX(seq) read and the subscriptions.
    await this.read();
  }

  subscribe(listener: (message: BusMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The last seq handed to subscribers. */
  get cursor(): number {
    return this.#cursor;
  }

  /** Reads and hands out every event after the cursor; resolves when caught up (a read in flight is followed by one more). */
  readonly read: () => Promise<void> = coalescedRun(
    async () => {
      await this.#readAll();
      this.#failed = false;
    },
    (err) => {
      this.#failed = true;
      this.#opts.onError?.(err);
    },
  );

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#listeners.clear();
  }

  async #readAll(): Promise<void> {
    const limit = this.#opts.page ?? 500;
    while (!this.#closed) {
      const rows = await this.#opts.store.listEvents({ afterSeq: this.#cursor, limit });
      for (const e of rows) {
        if (this.#closed || e.seq <= this.#cursor) continue;
        this.#cursor = e.seq;
        const message: BusMessage = { accountId: e.accountId, seq: e.seq, envelope: e.payload as EventEnvelope };
        for (const listener of this.#listeners) listener(message);
      }
      if (rows.length < limit) return;
    }
  }
}

import type { EventStore } from '../store/index.ts';
import type { BusMessage, EventSource } from './event-bus.ts';

/**
 * One live client's view of the events (WebSocket and SSE share it): an account's events (optionally one instance's),
 * optionally resumed after an outbox sequence number.
 *
 * Resume without gaps or repeats: subscribe to the bus first and hold what it brings, then page through the outbox
 * after `afterSeq`, then release the held messages; anything at or below the last sequence sent is dropped. Since the
 * outbox makes seqs visible in commit order (store.appendEvent), "after seq N" never skips a late commit.
 * The bus only carries this process's events: with several nodes on PostgreSQL the streams are given a
 * ClusterEventSource instead, which reads every node's events from the outbox in seq order (cluster-event-source.ts).
 */

export interface FeedItem {
  seq: number;
  /** The event envelope exactly as stored in the outbox. */
  envelope: unknown;
  event: string;
}

export interface FeedOptions {
  store: EventStore;
  /** The bus (one node), or ClusterEventSource (PostgreSQL: every node's events, in seq order). */
  bus: EventSource;
  accountId: string;
  instanceId?: string;
  /** Resume after this seq (Last-Event-ID); null: live events only. */
  afterSeq: number | null;
  send: (item: FeedItem) => void;
}

const PAGE = 500;

/** Starts the feed; returns a function that stops it. Replay errors reject (the caller closes the connection). */
export async function openFeed(opts: FeedOptions): Promise<() => void> {
  let lastSeq = opts.afterSeq ?? 0;
  let held: BusMessage[] | null = [];
  let stopped = false;
  const wanted = (accountId: string, instanceId: string): boolean =>
    accountId === opts.accountId && (opts.instanceId === undefined || instanceId === opts.instanceId);
  const emit = (item: FeedItem): void => {
    if (stopped || item.seq <= lastSeq) return;
    lastSeq = item.seq;
    opts.send(item);
  };
  const fromBus = (m: BusMessage): FeedItem => ({ seq: m.seq, envelope: m.envelope, event: m.envelope.event });

  const unsubscribe = opts.bus.subscribe((m) => {
    if (!wanted(m.accountId, m.envelope.instance_id)) return;
    if (held) held.push(m);
    else emit(fromBus(m));
  });
  const stop = (): void => {
    stopped = true;
    unsubscribe();
  };
  try {
    if (opts.afterSeq !== null) {
      for (;;) {
        const page = await opts.store.listEvents({ afterSeq: lastSeq, accountId: opts.accountId, limit: PAGE });
        for (const e of page) {
          if (wanted(e.accountId, e.instanceId)) emit({ seq: e.seq, envelope: e.payload, event: e.event });
          // Skipped (other instance) events still advance the cursor of the replay.
          if (e.seq > lastSeq) lastSeq = e.seq;
        }
        if (page.length < PAGE || stopped) break;
      }
    }
  } catch (err) {
    stop();
    throw err;
  }
  const pending = held ?? [];
  held = null;
  for (const m of pending.sort((a, b) => a.seq - b.seq)) emit(fromBus(m));
  return stop;
}

/** Last-Event-ID as we issue it: the outbox seq, a non-negative integer. null when absent; NaN when malformed. */
export function parseLastEventId(raw: unknown): number | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const text = String(Array.isArray(raw) ? raw[0] : raw).trim();
  return /^\d{1,15}$/.test(text) ? Number(text) : NaN;
}

/**
 * When the oldest event a resume after `afterSeq` would replay was written (ms since epoch); null when it would
 * replay nothing. The stream routes refuse a resume whose oldest event is older than the replay window.
 */
export async function firstReplayedAt(store: EventStore, accountId: string, afterSeq: number): Promise<number | null> {
  const [first] = await store.listEvents({ afterSeq, accountId, limit: 1 });
  return first ? Date.parse(first.createdAt) : null;
}

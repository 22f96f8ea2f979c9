/**
 * The webhook part of the Store contract (`store.webhooks`): subscriptions, deliveries and the per-lane work queue the
 * dispatcher claims. Kept apart from store.ts so the core contract stays readable; a `tx.webhooks` handle is bound to
 * its transaction like every other `tx` call.
 *
 * Vocabulary:
 * - a subscription belongs to one account and either one instance (instanceId) or all of its instances (null);
 * - a delivery is one event for one subscription, created in the same transaction as the event (`appendEvent`),
 *   at most once per (event, subscription) (a unique constraint);
 * - a lane is (subscription, instance): deliveries of a lane go out one at a time, in event order. The dispatcher
 *   leases whole lanes, so ordering needs no coordination beyond the lease row.
 */

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'dead'] as const;
/** pending: not tried yet (or queued again); failed: tried, will be retried; dead: retry horizon passed. */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface SubscriptionRecord {
  id: string;
  accountId: string;
  /** null: every instance of the account. */
  instanceId: string | null;
  url: string;
  /** Event names, or "*" for all. */
  events: string[];
  /** The signing secret as the caller sealed it (src/webhooks/secret-box.ts); opaque to the store. */
  secret: Buffer;
  isActive: boolean;
  createdAt: string;
}

export type NewSubscription = Omit<SubscriptionRecord, 'createdAt'>;

export interface DeliveryRecord {
  id: string;
  subscriptionId: string;
  accountId: string;
  instanceId: string;
  eventSeq: number;
  eventId: string;
  event: string;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  /** Bumped by every redelivery, so an attempt that started before it cannot mark the new one done. */
  generation: number;
  lastError: string | null;
  responseCode: number | null;
  /** When it was (last) queued: the retry horizon counts from here. */
  queuedAt: string;
  /** null once delivered or dead. */
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

/** A delivery ready to send: the record plus what the sender needs. */
export interface DeliveryWork extends DeliveryRecord {
  secret: Buffer;
  /** The stored event envelope as JSON text: the request body, sent as read (no parse and re-serialise per attempt). */
  body: string;
}

export interface ClaimedLane {
  id: string;
  subscriptionId: string;
  instanceId: string;
  leaseToken: string;
}

export type DeliveryOutcome =
  | { status: 'delivered'; responseCode: number; at: string }
  | { status: 'failed'; responseCode: number | null; error: string; nextAttemptAt: string; at: string }
  | { status: 'dead'; responseCode: number | null; error: string; at: string };

export interface DeliveryFilter {
  accountId: string;
  instanceId?: string;
  status?: DeliveryStatus;
  /** Deliveries created at or after this ISO time. */
  since?: string;
  limit: number;
}

/** Longest last_error kept (bytes of UTF-8; docs/http-api.md "Events": response bodies are not stored beyond 1 KB). */
export const LAST_ERROR_MAX_BYTES = 1024;

export interface WebhookStore {
  createSubscription(input: NewSubscription): Promise<SubscriptionRecord>;
  /** Changes events / is_active / secret; returns null when it does not exist. */
  updateSubscription(
    id: string,
    patch: Partial<Pick<SubscriptionRecord, 'events' | 'isActive' | 'secret'>>,
  ): Promise<SubscriptionRecord | null>;
  /** Deletes it with its deliveries and lanes. */
  deleteSubscription(id: string): Promise<boolean>;
  /** Exactly one scope: an instance's own subscriptions, or the account-wide ones (instanceId null). Oldest first. */
  listSubscriptions(scope: { accountId: string; instanceId: string | null }): Promise<SubscriptionRecord[]>;

  /**
   * Leases up to `limit` lanes whose work is due (wake time ≤ now) and whose lease is free or expired. On PostgreSQL
   * with FOR UPDATE SKIP LOCKED, so nodes claiming at once get disjoint lanes.
   */
  claimLanes(opts: { now: string; leaseUntil: string; limit: number; token: string }): Promise<ClaimedLane[]>;
  /** Extends a held lease; false when it was lost (expired and taken, or released). */
  renewLane(laneId: string, token: string, leaseUntil: string): Promise<boolean>;
  /** Ends a lease and sets the lane's next wake time from its oldest undone delivery (none: idle). */
  releaseLane(laneId: string, token: string): Promise<void>;
  /** Frees every lease (single-node SQLite at boot: whatever a killed process held is not in flight any more). */
  releaseAllLanes(): Promise<number>;
  /** The lane's undone deliveries (pending or failed), oldest event first, with payload and secret. */
  laneDeliveries(laneId: string, limit: number): Promise<DeliveryWork[]>;
  /** Records an attempt's outcome; false when the delivery was redelivered or deleted meanwhile (generation moved). */
  completeDelivery(id: string, generation: number, outcome: DeliveryOutcome): Promise<boolean>;
  /** Several outcomes in one transaction (the dispatcher's group commit); one boolean each, as completeDelivery. */
  completeDeliveries(items: Array<{ id: string; generation: number; outcome: DeliveryOutcome }>): Promise<boolean[]>;

  getDelivery(id: string): Promise<DeliveryRecord | null>;
  /** Newest first. */
  listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]>;
  /** Queues one delivery again (pending, attempts 0, new generation); false when it does not exist. */
  redeliver(id: string, now: string): Promise<boolean>;
  /**
   * Queues every event of the account (optionally one instance) created in [since, until] again, for every active
   * subscription that matches it now (creating deliveries a newer subscription never had). Returns how many.
   */
  redeliverRange(opts: {
    accountId: string;
    instanceId?: string;
    since: string;
    until: string;
    now: string;
  }): Promise<number>;
}

/** Whether a subscription's event filter takes this event: an exact name, or "*" for every event. */
export function eventMatches(filter: readonly string[], event: string): boolean {
  return filter.includes('*') || filter.includes(event);
}

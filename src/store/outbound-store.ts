/**
 * The durable outbound queue (POST /v2/send/text): every accepted text is a row before the request is answered, and an
 * instance's sender drains its queued rows strictly in order (seq). A row leaves `queued` once: `sent` with the time
 * WhatsApp took it, or `failed` when the sender gave up on it. The id is the WhatsApp message id, chosen up front.
 */

export type OutboundStatus = 'queued' | 'sent' | 'failed';

export interface OutboundRecord {
  /** Queue order across the whole store; an instance's rows are sent in increasing seq. */
  seq: number;
  /** WhatsApp message id (also the id the API answered with). */
  id: string;
  instanceId: string;
  accountId: string;
  /** Phone JID of the chat, "<digits>@s.whatsapp.net". */
  chatJid: string;
  /** Text as sent, signature included. */
  body: string;
  replyTo: string | null;
  status: OutboundStatus;
  attempts: number;
  lastError: string | null;
  /** Not to be tried before this (a failed attempt backs off). */
  nextAttemptAt: string;
  createdAt: string;
  sentAt: string | null;
  /** WhatsApp's timestamp of the sent message, unix seconds. */
  waTimestamp: number | null;
}

/** What a send writes; the queue fills in the rest (seq, status, attempts, times). */
export type NewOutbound = Pick<OutboundRecord, 'id' | 'instanceId' | 'accountId' | 'chatJid' | 'body' | 'replyTo'> & {
  createdAt?: string;
};

/** Bound on a stored error text. */
export const OUTBOUND_ERROR_MAX = 500;

export interface OutboundStore {
  /** Queues a text; due at once. */
  enqueue(message: NewOutbound): Promise<OutboundRecord>;
  get(id: string): Promise<OutboundRecord | null>;
  /** The instance's oldest queued row (whatever its due time: order is kept, a backed-off head blocks the rest). */
  head(instanceId: string): Promise<OutboundRecord | null>;
  /** queued → sent. False when the row is not queued (already sent, failed, or gone). */
  markSent(id: string, sent: { sentAt: string; waTimestamp: number }): Promise<boolean>;
  /**
   * Records a failed attempt of a queued row: attempts + 1, the error, and either the next due time or, when
   * `final`, status failed. Null when the row is not queued.
   */
  recordFailure(
    id: string,
    failure: { error: string; nextAttemptAt: string; final: boolean },
  ): Promise<OutboundRecord | null>;
  countQueued(instanceId: string): Promise<number>;
  /** The instances that have queued rows (several nodes: rows another node queued are found by the owner's sweep). */
  queuedInstances(): Promise<string[]>;
}

import type { DeliveryRecord, DeliveryStatus, DeliveryWork, SubscriptionRecord } from '../webhooks-store.ts';
import { iso } from './rows.ts';

/** Row → record mappers for the webhook tables (same dialect differences as rows.ts absorbs). */

type Row = Record<string, unknown>;

const isoOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : iso(value));

/** Subscriptions select `events` as `CAST(events AS TEXT)`: JSON text in both dialects. */
export const toSubscription = (r: Row): SubscriptionRecord => ({
  id: String(r.id),
  accountId: String(r.account_id),
  instanceId: r.instance_id === null || r.instance_id === undefined ? null : String(r.instance_id),
  url: String(r.url),
  events: JSON.parse(String(r.events)) as string[],
  secret: Buffer.from(r.secret as Uint8Array),
  isActive: Boolean(r.is_active),
  createdAt: iso(r.created_at),
});

export const toDelivery = (r: Row): DeliveryRecord => ({
  id: String(r.id),
  subscriptionId: String(r.subscription_id),
  accountId: String(r.account_id),
  instanceId: String(r.instance_id),
  eventSeq: Number(r.event_seq),
  eventId: String(r.event_id),
  event: String(r.event),
  url: String(r.url),
  status: String(r.status) as DeliveryStatus,
  attempts: Number(r.attempts),
  generation: Number(r.generation),
  lastError: r.last_error === null || r.last_error === undefined ? null : String(r.last_error),
  responseCode: r.response_code === null || r.response_code === undefined ? null : Number(r.response_code),
  queuedAt: iso(r.queued_at),
  nextAttemptAt: isoOrNull(r.next_attempt_at),
  deliveredAt: isoOrNull(r.delivered_at),
  createdAt: iso(r.created_at),
});

export const toDeliveryWork = (r: Row): DeliveryWork => ({
  ...toDelivery(r),
  secret: Buffer.from(r.secret as Uint8Array),
  body: String(r.payload),
});

export const SUBSCRIPTION_COLS =
  'id, account_id, instance_id, url, CAST(events AS TEXT) AS events, secret, is_active, created_at';

/** Delivery columns, prefixed `d.`, plus the subscription's url as `url` (join `webhook_subscriptions s`). */
export const DELIVERY_COLS =
  'd.id, d.subscription_id, d.account_id, d.instance_id, d.event_seq, d.event_id, d.event, s.url, d.status, ' +
  'd.attempts, d.generation, d.last_error, d.response_code, d.queued_at, d.next_attempt_at, d.delivered_at, d.created_at';

/** A lane's id is derived from its key, so fan-out can upsert it without a lookup. */
export const laneId = (subscriptionId: string, instanceId: string): string => `${subscriptionId}/${instanceId}`;

/** Cuts text to at most `max` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

import type { SessionStatus } from '../../domain/index.ts';
import type { Account, EventRecord, InstanceRecord, StatusChange, TokenRecord } from '../store.ts';
import type { IdentityRecord } from '../../domain/index.ts';

/**
 * Row → record mappers shared by both dialects. They absorb the driver differences in returned values:
 * PostgreSQL gives Date for timestamptz, string for BIGINT/COUNT and real booleans; SQLite gives ISO text, numbers and 0/1.
 */

type Row = Record<string, unknown>;

export function iso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return value;
  throw new TypeError(`expected a timestamp, got ${typeof value}`);
}

const isoOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : iso(value));
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

export const toAccount = (r: Row): Account => ({
  id: String(r.id),
  name: String(r.name),
  maxInstances: Number(r.max_instances),
  createdAt: iso(r.created_at),
});

export const toToken = (r: Row): TokenRecord => ({
  id: String(r.id),
  accountId: String(r.account_id),
  createdAt: iso(r.created_at),
  revokedAt: isoOrNull(r.revoked_at),
});

export const toInstance = (r: Row): InstanceRecord => ({
  id: String(r.id),
  accountId: String(r.account_id),
  name: String(r.name),
  status: String(r.status) as SessionStatus,
  reason: String(r.reason),
  statusChangedAt: iso(r.status_changed_at),
  expectedPhone: strOrNull(r.expected_phone),
  signature: strOrNull(r.signature),
  createdAt: iso(r.created_at),
});

export const toStatusChange = (r: Row): StatusChange => ({
  status: String(r.status) as SessionStatus,
  reason: String(r.reason),
  at: iso(r.at),
});

export const toIdentity = (r: Row): IdentityRecord => ({
  phoneJid: String(r.phone_jid),
  lid: strOrNull(r.lid),
  pushName: strOrNull(r.push_name),
  businessName: strOrNull(r.business_name),
  platform: strOrNull(r.platform),
  firstSeenAt: iso(r.first_seen_at),
  lastSeenAt: iso(r.last_seen_at),
  stale: Boolean(r.stale),
});

/** Events select their payload as `CAST(payload AS TEXT)` so both dialects hand back JSON text. */
export const toEvent = (r: Row): EventRecord => ({
  seq: Number(r.seq),
  id: String(r.id),
  accountId: String(r.account_id),
  instanceId: String(r.instance_id),
  event: String(r.event),
  payload: JSON.parse(String(r.payload)) as unknown,
  createdAt: iso(r.created_at),
});

/** Column lists, so every SELECT of a table returns what its mapper reads. */
export const ACCOUNT_COLS = 'id, name, max_instances, created_at';
export const TOKEN_COLS = 'id, account_id, created_at, revoked_at';
export const INSTANCE_COLS =
  'id, account_id, name, status, reason, status_changed_at, expected_phone, signature, created_at';
export const IDENTITY_COLS = 'phone_jid, lid, push_name, business_name, platform, first_seen_at, last_seen_at, stale';
export const EVENT_COLS = 'seq, id, account_id, instance_id, event, CAST(payload AS TEXT) AS payload, created_at';

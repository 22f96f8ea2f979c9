import type { IdentityRecord } from '../domain/index.ts';
import type { SessionStatus, StatusReason } from '../domain/index.ts';
import type { WebhookStore } from './webhooks-store.ts';
import type { OutboundStore } from './outbound-store.ts';
import type { LeaseToken } from './cluster-types.ts';

/**
 * The storage contract, one interface per concern. SQLite (embedded default) and PostgreSQL (several nodes)
 * implement all of them (Store) and pass the same contract tests (test/store/contract.ts); consumers depend on the
 * narrow interface they use (SettingsStore, TokenStore, …). Rules, so PostgreSQL fits (docs/architecture.md):
 * - every method is async and atomic on its own; composite writes go through `tx(fn)`;
 * - no reliance on a single writer or in-process locks in place of database constraints
 *   (quota and uniqueness are enforced by the database inside the transaction);
 * - timestamps are ISO-8601 UTC strings; JSON columns are plain objects here.
 */

export interface Account {
  id: string;
  name: string;
  maxInstances: number;
  createdAt: string;
}

export interface TokenRecord {
  id: string;
  accountId: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface InstanceConfig {
  expectedPhone: string | null;
  /** Template appended to outbound texts, e.g. "\n\nSent by: {{pushName}}". */
  signature: string | null;
}

export interface InstanceRecord extends InstanceConfig {
  id: string;
  accountId: string;
  name: string;
  status: SessionStatus;
  reason: StatusReason;
  statusChangedAt: string;
  createdAt: string;
}

export interface StatusChange {
  status: SessionStatus;
  reason: StatusReason;
  at: string;
}

/** An event appended to the outbox in the same transaction as the change that caused it. */
export interface EventRecord {
  /** Monotonic sequence (for ordering and Last-Event-ID resume). */
  seq: number;
  id: string;
  accountId: string;
  instanceId: string;
  event: string;
  payload: unknown;
  createdAt: string;
}

export type NewEvent = Omit<EventRecord, 'seq' | 'createdAt'> & { createdAt?: string };

/** One write of an auth-state batch: a null value deletes the key. Values are opaque (already encrypted). */
export interface AuthWrite {
  type: string;
  id: string;
  value: Buffer | null;
}

export class QuotaReachedError extends Error {
  constructor(readonly limit: number) {
    super(`instance quota of ${limit} reached`);
    this.name = 'QuotaReachedError';
  }
}

/** A write made through this store (or one of its tx handles) that in-process caches must hear of. */
export type StoreChange =
  /** A token was revoked (or an account changed): every cached token or account answer may be wrong. */
  | { kind: 'tokens' }
  /** This instance's row changed or went away (status, config, delete). */
  | { kind: 'instance'; id: string }
  /** PostgreSQL only, from the change feed: this instance's identity row was written or deleted (by any node). */
  | { kind: 'identity'; id: string }
  /** PostgreSQL only, from the change feed: events were appended (by any node); read them after your last seq. */
  | { kind: 'events' };

export interface StoreChanges {
  /**
   * Synchronous and cheap; differs from the value it returned before whenever ANOTHER connection (the offline CLI,
   * another process) may have committed something not announced through subscribe (SQLite: the WAL index /
   * `PRAGMA data_version`; PostgreSQL: the change listener reconnected, docs/multi-node.md "Change feed").
   * null: this store cannot tell right now (PostgreSQL while its listener is down), so callers must not cache.
   */
  externalVersion(): number | null;
  /**
   * Writes made through this store, announced synchronously right after their statement ran (inside a transaction:
   * before it commits, which on SQLite no other reader of this connection can observe first); on PostgreSQL also the
   * writes other nodes committed, as their notifications arrive. Returns unsubscribe.
   */
  subscribe(listener: (change: StoreChange) => void): () => void;
}

/** Key/value settings of the deployment (e.g. the admin token hash). */
export interface SettingsStore {
  getSetting(key: string): Promise<string | null>;
  setSetting(key: string, value: string): Promise<void>;
}

export interface AccountStore {
  createAccount(input: { name: string; maxInstances: number }): Promise<Account>;
  getAccount(id: string): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;
  /** Deletes the account with its tokens and webhook subscriptions; its instances must be gone already. */
  deleteAccount(id: string): Promise<boolean>;
}

/** Access tokens, by hash only: the plaintext token never reaches the store. */
export interface TokenStore {
  createToken(accountId: string, tokenHash: string): Promise<TokenRecord>;
  /** Resolves a non-revoked token by its SHA-256 hex hash. */
  findTokenByHash(tokenHash: string): Promise<{ token: TokenRecord; account: Account } | null>;
  listTokens(accountId: string): Promise<TokenRecord[]>;
  /** Returns false when the token does not exist or was already revoked. */
  revokeToken(tokenId: string): Promise<boolean>;
}

export interface InstanceStore {
  /** Inserts atomically with the quota check; throws QuotaReachedError when the account is full. */
  createInstance(input: {
    id: string;
    accountId: string;
    name: string;
    config: InstanceConfig;
    status: SessionStatus;
    reason: StatusReason;
  }): Promise<InstanceRecord>;
  getInstance(id: string): Promise<InstanceRecord | null>;
  listInstances(accountId: string): Promise<InstanceRecord[]>;
  /** Every instance in one of these statuses, across accounts (boot restore). */
  listInstancesByStatus(statuses: SessionStatus[]): Promise<InstanceRecord[]>;
  updateInstanceConfig(id: string, patch: Partial<InstanceConfig> & { name?: string }): Promise<InstanceRecord | null>;
  /** Deletes the instance and everything that hangs off it (history, identity, auth state). */
  deleteInstance(id: string): Promise<boolean>;
}

/** An instance's status and its history. */
export interface StatusHistoryStore {
  /** Sets status + reason + time and appends to the history, atomically. */
  recordStatus(id: string, change: StatusChange): Promise<void>;
  /** Newest first. */
  listStatusHistory(id: string, limit: number): Promise<StatusChange[]>;
}

export interface IdentityStore {
  getIdentity(instanceId: string): Promise<IdentityRecord | null>;
  saveIdentity(instanceId: string, identity: IdentityRecord): Promise<void>;
  clearIdentity(instanceId: string): Promise<void>;
}

/** The event outbox: the source of webhooks and live streams. */
export interface EventStore {
  /** Also queues one delivery per matching active webhook subscription, in the same transaction. */
  appendEvent(event: NewEvent): Promise<EventRecord>;
  /** Events with seq > afterSeq, oldest first (optionally one account's). */
  listEvents(opts: { afterSeq: number; accountId?: string; limit: number }): Promise<EventRecord[]>;
  /** The highest seq appended so far (0: none); where a live reader of every new event starts. */
  lastEventSeq(): Promise<number>;
}

/** WhatsApp auth state; values encrypted by src/store/auth-vault.ts before they get here. */
export interface AuthStateStore {
  readAuth(instanceId: string, type: string, ids: string[]): Promise<Map<string, Buffer>>;
  /** All writes land or none does. */
  writeAuth(instanceId: string, writes: AuthWrite[]): Promise<void>;
  clearAuth(instanceId: string): Promise<void>;
}

/**
 * Composite writes: every call on `tx` is part of one database transaction, rolled back if fn throws.
 * With `lease` (a node writing for an instance it owns, docs/multi-node.md "Fencing"), the transaction first checks that
 * the lease is still this node's, current and live, and holds it so until the end; if not, LeaseLostError and nothing
 * is written. A store without leases (SQLite: one process owns everything) ignores it.
 */
export interface Transactional {
  tx<T>(fn: (tx: Store) => Promise<T>, opts?: { lease?: LeaseToken | null }): Promise<T>;
}

/** The whole store: every concern above, bound to one connection (or one transaction inside `tx`). */
export interface Store
  extends
    SettingsStore,
    AccountStore,
    TokenStore,
    InstanceStore,
    StatusHistoryStore,
    IdentityStore,
    EventStore,
    AuthStateStore,
    Transactional {
  readonly kind: 'sqlite' | 'postgres';

  /**
   * For exact in-process caches of tokens, accounts and instances (src/tenancy/auth-cache.ts). Absent or
   * `externalVersion() === null`: this store cannot tell when someone else wrote, so nothing may be cached.
   */
  readonly changes?: StoreChanges;

  /** Apply pending versioned migrations; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /** Webhook subscriptions, deliveries and dispatch lanes (webhooks-store.ts); bound to the same transaction. */
  readonly webhooks: WebhookStore;

  /** The durable outbound message queue (outbound-store.ts); bound to the same transaction. */
  readonly outbound: OutboundStore;
}

import { newId } from '../../lib/index.ts';
import type { SessionStatus } from '../../domain/index.ts';
import { QuotaReachedError } from '../store.ts';
import type {
  Account,
  AuthWrite,
  EventRecord,
  InstanceConfig,
  InstanceRecord,
  NewEvent,
  StatusChange,
  Store,
  TokenRecord,
} from '../store.ts';
import type { IdentityRecord } from '../../domain/index.ts';
import type { SqlConn, SqlDriver } from './sql-driver.ts';
import type { LeaseToken } from '../cluster-types.ts';
import { assertLease } from './lease-guard.ts';
import { runMigrations, type MigrationLogger } from './migrate.ts';
import { ChangeFeed } from './change-feed.ts';
import { readAuthRows, writeAuthRows } from './auth-state-sql.ts';
import { SqlWebhookStore, fanOutEvent } from './sql-webhooks-store.ts';
import { SqlOutboundStore } from './sql-outbound-store.ts';
import {
  ACCOUNT_COLS,
  EVENT_COLS,
  IDENTITY_COLS,
  INSTANCE_COLS,
  TOKEN_COLS,
  toAccount,
  toEvent,
  toIdentity,
  toInstance,
  toStatusChange,
  toToken,
} from './rows.ts';

const now = (): string => new Date().toISOString();
const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/**
 * The Store on any SqlDriver. One class for both dialects so they cannot drift apart; a `tx` handle is the same class
 * bound to the transaction's connection. Methods that need several statements to be atomic run them through `#atomic`,
 * which opens a transaction unless the handle already is one.
 */
export class SqlStore implements Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly #driver: SqlDriver;
  readonly #db: SqlConn;
  readonly #inTx: boolean;
  readonly #logger: MigrationLogger | undefined;
  readonly webhooks: SqlWebhookStore;
  readonly outbound: SqlOutboundStore;
  readonly changes: ChangeFeed;

  constructor(driver: SqlDriver, opts: { logger?: MigrationLogger } = {}, txConn?: SqlConn, changes?: ChangeFeed) {
    this.kind = driver.kind;
    // tx handles share the root store's feed: a write inside a transaction is announced like any other.
    this.changes = changes ?? new ChangeFeed(driver);
    this.#driver = driver;
    this.#db = txConn ?? driver.conn;
    this.#inTx = txConn !== undefined;
    this.#logger = opts.logger;
    this.webhooks = new SqlWebhookStore(driver, this.#db, (fn) => this.#atomic(fn));
    this.outbound = new SqlOutboundStore(this.#db);
  }

  migrate(): Promise<void> {
    return runMigrations(this.#driver, this.#logger);
  }

  close(): Promise<void> {
    if (this.#inTx) throw new Error('close() on a transaction handle; close the store instead');
    return this.#driver.close();
  }

  /**
   * Inside fn, use the `tx` handle only. On SQLite the outer store waits for the transaction to end, so awaiting an
   * outer-store call from inside fn never returns; on PostgreSQL it would run outside the transaction.
   */
  async tx<T>(fn: (tx: Store) => Promise<T>, opts: { lease?: LeaseToken | null } = {}): Promise<T> {
    const lease = this.#driver.kind === 'postgres' ? opts.lease : null;
    // Nested tx on a tx handle: same transaction (no savepoint), as documented in the brief.
    if (this.#inTx) {
      if (lease) await assertLease(this.#db, lease);
      return fn(this);
    }
    return this.#driver.transaction(async (conn) => {
      if (lease) await assertLease(conn, lease);
      return fn(new SqlStore(this.#driver, { logger: this.#logger }, conn, this.changes));
    });
  }

  #atomic<T>(fn: (db: SqlConn) => Promise<T>): Promise<T> {
    return this.#inTx ? fn(this.#db) : this.#driver.transaction(fn);
  }

  // --- settings ---

  async getSetting(key: string): Promise<string | null> {
    const rows = await this.#db.all<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]);
    return rows[0]?.value ?? null;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.#db.run(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  // --- accounts and tokens ---

  async createAccount(input: { name: string; maxInstances: number }): Promise<Account> {
    const rows = await this.#db.all(
      `INSERT INTO accounts (id, name, max_instances, created_at) VALUES (?, ?, ?, ?) RETURNING ${ACCOUNT_COLS}`,
      [newId('acc'), input.name, input.maxInstances, now()],
    );
    return toAccount(rows[0]!);
  }

  async getAccount(id: string): Promise<Account | null> {
    const rows = await this.#db.all(`SELECT ${ACCOUNT_COLS} FROM accounts WHERE id = ?`, [id]);
    return rows[0] ? toAccount(rows[0]) : null;
  }

  async listAccounts(): Promise<Account[]> {
    const rows = await this.#db.all(`SELECT ${ACCOUNT_COLS} FROM accounts ORDER BY created_at, id`);
    return rows.map(toAccount);
  }

  async deleteAccount(id: string): Promise<boolean> {
    // Its tokens and webhook subscriptions go with it (ON DELETE CASCADE); its instances must be deleted first.
    const deleted = (await this.#db.run('DELETE FROM accounts WHERE id = ?', [id])) > 0;
    if (deleted) this.changes.emit({ kind: 'tokens' });
    return deleted;
  }

  async createToken(accountId: string, tokenHash: string): Promise<TokenRecord> {
    const rows = await this.#db.all(
      `INSERT INTO tokens (id, account_id, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING ${TOKEN_COLS}`,
      [newId('tok'), accountId, tokenHash, now()],
    );
    return toToken(rows[0]!);
  }

  async findTokenByHash(tokenHash: string): Promise<{ token: TokenRecord; account: Account } | null> {
    const rows = await this.#db.all(
      `SELECT t.id AS token_id, t.created_at AS token_created_at, t.revoked_at,
              a.id, a.name, a.max_instances, a.created_at
         FROM tokens t JOIN accounts a ON a.id = t.account_id
        WHERE t.token_hash = ? AND t.revoked_at IS NULL`,
      [tokenHash],
    );
    const r = rows[0];
    if (!r) return null;
    const account = toAccount(r);
    const token = toToken({ id: r.token_id, account_id: account.id, created_at: r.token_created_at, revoked_at: null });
    return { token, account };
  }

  async listTokens(accountId: string): Promise<TokenRecord[]> {
    const rows = await this.#db.all(`SELECT ${TOKEN_COLS} FROM tokens WHERE account_id = ? ORDER BY created_at, id`, [
      accountId,
    ]);
    return rows.map(toToken);
  }

  async revokeToken(tokenId: string): Promise<boolean> {
    const changed = await this.#db.run('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [
      now(),
      tokenId,
    ]);
    if (changed > 0) this.changes.emit({ kind: 'tokens' });
    return changed > 0;
  }

  // --- instances ---

  createInstance(input: {
    id: string;
    accountId: string;
    name: string;
    config: InstanceConfig;
    status: SessionStatus;
    reason: string;
  }): Promise<InstanceRecord> {
    // Count + insert in one transaction, with the account row locked on PostgreSQL (SQLite's BEGIN IMMEDIATE already
    // excludes every other writer), so concurrent creates on any number of nodes cannot overshoot the quota.
    return this.#atomic(async (db) => {
      const accounts = await db.all<{ max_instances: unknown }>(
        `SELECT max_instances FROM accounts WHERE id = ?${this.#driver.forUpdate}`,
        [input.accountId],
      );
      if (!accounts[0]) throw new Error(`account ${input.accountId} does not exist`);
      const limit = Number(accounts[0].max_instances);
      const counted = await db.all<{ n: unknown }>('SELECT COUNT(*) AS n FROM instances WHERE account_id = ?', [
        input.accountId,
      ]);
      if (Number(counted[0]!.n) >= limit) throw new QuotaReachedError(limit);
      const at = now();
      const rows = await db.all(
        `INSERT INTO instances (${INSTANCE_COLS}) VALUES (${marks(9)}) RETURNING ${INSTANCE_COLS}`,
        [
          input.id,
          input.accountId,
          input.name,
          input.status,
          input.reason,
          at,
          input.config.expectedPhone,
          input.config.signature,
          at,
        ],
      );
      // The creation is the first entry of the history (docs/http-api.md "Wawp routes": "(new) → STOPPED, created").
      await db.run('INSERT INTO status_history (instance_id, status, reason, at) VALUES (?, ?, ?, ?)', [
        input.id,
        input.status,
        input.reason,
        at,
      ]);
      return toInstance(rows[0]!);
    });
  }

  async getInstance(id: string): Promise<InstanceRecord | null> {
    const rows = await this.#db.all(`SELECT ${INSTANCE_COLS} FROM instances WHERE id = ?`, [id]);
    return rows[0] ? toInstance(rows[0]) : null;
  }

  async listInstances(accountId: string): Promise<InstanceRecord[]> {
    const rows = await this.#db.all(
      `SELECT ${INSTANCE_COLS} FROM instances WHERE account_id = ? ORDER BY created_at, id`,
      [accountId],
    );
    return rows.map(toInstance);
  }

  async listInstancesByStatus(statuses: SessionStatus[]): Promise<InstanceRecord[]> {
    if (statuses.length === 0) return [];
    const rows = await this.#db.all(
      `SELECT ${INSTANCE_COLS} FROM instances WHERE status IN (${marks(statuses.length)}) ORDER BY created_at, id`,
      statuses,
    );
    return rows.map(toInstance);
  }

  async updateInstanceConfig(
    id: string,
    patch: Partial<InstanceConfig> & { name?: string },
  ): Promise<InstanceRecord | null> {
    // Only keys present in the patch change; an explicit null clears expectedPhone / signature.
    const columns: Array<[string, unknown]> = [];
    if (patch.name !== undefined) columns.push(['name', patch.name]);
    if (patch.expectedPhone !== undefined) columns.push(['expected_phone', patch.expectedPhone]);
    if (patch.signature !== undefined) columns.push(['signature', patch.signature]);
    if (columns.length === 0) return this.getInstance(id);
    const rows = await this.#db.all(
      `UPDATE instances SET ${columns.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ? RETURNING ${INSTANCE_COLS}`,
      [...columns.map(([, v]) => v), id],
    );
    this.changes.emit({ kind: 'instance', id });
    return rows[0] ? toInstance(rows[0]) : null;
  }

  async deleteInstance(id: string): Promise<boolean> {
    // History, identity and auth state go with it (ON DELETE CASCADE); events stay, they are a log.
    const deleted = (await this.#db.run('DELETE FROM instances WHERE id = ?', [id])) > 0;
    this.changes.emit({ kind: 'instance', id });
    return deleted;
  }

  recordStatus(id: string, change: StatusChange): Promise<void> {
    return this.#atomic(async (db) => {
      const changed = await db.run('UPDATE instances SET status = ?, reason = ?, status_changed_at = ? WHERE id = ?', [
        change.status,
        change.reason,
        change.at,
        id,
      ]);
      this.changes.emit({ kind: 'instance', id });
      // An instance deleted meanwhile has no status to record: a late engine callback must not fail the caller.
      if (changed === 0) return;
      await db.run('INSERT INTO status_history (instance_id, status, reason, at) VALUES (?, ?, ?, ?)', [
        id,
        change.status,
        change.reason,
        change.at,
      ]);
    });
  }

  async listStatusHistory(id: string, limit: number): Promise<StatusChange[]> {
    // By insertion order, not by `at`: two changes in the same millisecond must keep their order.
    const rows = await this.#db.all(
      'SELECT status, reason, at FROM status_history WHERE instance_id = ? ORDER BY id DESC LIMIT ?',
      [id, limit],
    );
    return rows.map(toStatusChange);
  }

  // --- identity ---

  async getIdentity(instanceId: string): Promise<IdentityRecord | null> {
    const rows = await this.#db.all(`SELECT ${IDENTITY_COLS} FROM identities WHERE instance_id = ?`, [instanceId]);
    return rows[0] ? toIdentity(rows[0]) : null;
  }

  async saveIdentity(instanceId: string, identity: IdentityRecord): Promise<void> {
    await this.#db.run(
      `INSERT INTO identities (instance_id, ${IDENTITY_COLS}) VALUES (${marks(9)})
       ON CONFLICT (instance_id) DO UPDATE SET
         phone_jid = excluded.phone_jid, lid = excluded.lid, push_name = excluded.push_name,
         business_name = excluded.business_name, platform = excluded.platform,
         first_seen_at = excluded.first_seen_at, last_seen_at = excluded.last_seen_at, stale = excluded.stale`,
      [
        instanceId,
        identity.phoneJid,
        identity.lid,
        identity.pushName,
        identity.businessName,
        identity.platform,
        identity.firstSeenAt,
        identity.lastSeenAt,
        identity.stale,
      ],
    );
  }

  async clearIdentity(instanceId: string): Promise<void> {
    await this.#db.run('DELETE FROM identities WHERE instance_id = ?', [instanceId]);
  }

  // --- event outbox ---

  appendEvent(event: NewEvent): Promise<EventRecord> {
    return this.#atomic(async (db) => {
      await this.#driver.lockForEventAppend(db);
      const rows = await db.all(
        `INSERT INTO events (id, account_id, instance_id, event, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)
         RETURNING ${EVENT_COLS}`,
        [
          event.id,
          event.accountId,
          event.instanceId,
          event.event,
          JSON.stringify(event.payload ?? null),
          event.createdAt ?? now(),
        ],
      );
      const record = toEvent(rows[0]!);
      // Webhook deliveries are born with their event: durable together, or not at all.
      await fanOutEvent(db, record);
      return record;
    });
  }

  async listEvents(opts: { afterSeq: number; accountId?: string; limit: number }): Promise<EventRecord[]> {
    const byAccount = opts.accountId !== undefined;
    const rows = await this.#db.all(
      `SELECT ${EVENT_COLS} FROM events WHERE seq > ?${byAccount ? ' AND account_id = ?' : ''} ORDER BY seq LIMIT ?`,
      byAccount ? [opts.afterSeq, opts.accountId, opts.limit] : [opts.afterSeq, opts.limit],
    );
    return rows.map(toEvent);
  }

  async lastEventSeq(): Promise<number> {
    const rows = await this.#db.all<{ seq: number | string | null }>('SELECT MAX(seq) AS seq FROM events');
    return Number(rows[0]?.seq ?? 0);
  }

  // --- auth state (SQL in auth-state-sql.ts) ---

  readAuth(instanceId: string, type: string, ids: string[]): Promise<Map<string, Buffer>> {
    return readAuthRows(this.#db, instanceId, type, ids);
  }

  writeAuth(instanceId: string, writes: AuthWrite[]): Promise<void> {
    if (writes.length === 0) return Promise.resolve();
    return this.#atomic((db) => writeAuthRows(db, instanceId, writes));
  }

  async clearAuth(instanceId: string): Promise<void> {
    await this.#db.run('DELETE FROM auth_state WHERE instance_id = ?', [instanceId]);
  }
}

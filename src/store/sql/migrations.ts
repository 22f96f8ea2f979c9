/**
 * Versioned schema migrations, both dialects side by side so each version means the same schema everywhere.
 * Append only: never edit a migration that has shipped; add the next number instead.
 *
 * Type choices: SQLite keeps timestamps as ISO-8601 text (sorts correctly), JSON as text and booleans as 0/1;
 * PostgreSQL uses timestamptz, jsonb, boolean, BIGSERIAL. Events have no foreign key: they are a log that outlives
 * its instance. Everything else that hangs off an instance is deleted with it (ON DELETE CASCADE).
 */
export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sqlite: `
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      CREATE TABLE accounts (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        max_instances INTEGER NOT NULL CHECK (max_instances >= 0),
        created_at    TEXT NOT NULL
      );
      CREATE TABLE tokens (
        id         TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      );
      CREATE INDEX tokens_account ON tokens (account_id);
      CREATE TABLE instances (
        id                TEXT PRIMARY KEY,
        account_id        TEXT NOT NULL REFERENCES accounts (id),
        name              TEXT NOT NULL,
        status            TEXT NOT NULL,
        reason            TEXT NOT NULL,
        status_changed_at TEXT NOT NULL,
        expected_phone    TEXT,
        signature         TEXT,
        created_at        TEXT NOT NULL
      );
      CREATE INDEX instances_account ON instances (account_id);
      CREATE INDEX instances_status ON instances (status);
      CREATE TABLE status_history (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
        status      TEXT NOT NULL,
        reason      TEXT NOT NULL,
        at          TEXT NOT NULL
      );
      CREATE INDEX status_history_instance ON status_history (instance_id, id);
      CREATE TABLE identities (
        instance_id   TEXT PRIMARY KEY REFERENCES instances (id) ON DELETE CASCADE,
        phone_jid     TEXT NOT NULL,
        lid           TEXT,
        push_name     TEXT,
        business_name TEXT,
        platform      TEXT,
        first_seen_at TEXT NOT NULL,
        last_seen_at  TEXT NOT NULL,
        stale         INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE events (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        id          TEXT NOT NULL UNIQUE,
        account_id  TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        event       TEXT NOT NULL,
        payload     TEXT NOT NULL,
        created_at  TEXT NOT NULL
      );
      CREATE INDEX events_account_seq ON events (account_id, seq);
      CREATE TABLE auth_state (
        instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
        type        TEXT NOT NULL,
        key_id      TEXT NOT NULL,
        value       BLOB NOT NULL,
        PRIMARY KEY (instance_id, type, key_id)
      ) WITHOUT ROWID;
    `,
    postgres: `
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      CREATE TABLE accounts (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        max_instances INTEGER NOT NULL CHECK (max_instances >= 0),
        created_at    TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE tokens (
        id         TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TIMESTAMPTZ NOT NULL,
        revoked_at TIMESTAMPTZ
      );
      CREATE INDEX tokens_account ON tokens (account_id);
      CREATE TABLE instances (
        id                TEXT PRIMARY KEY,
        account_id        TEXT NOT NULL REFERENCES accounts (id),
        name              TEXT NOT NULL,
        status            TEXT NOT NULL,
        reason            TEXT NOT NULL,
        status_changed_at TIMESTAMPTZ NOT NULL,
        expected_phone    TEXT,
        signature         TEXT,
        created_at        TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX instances_account ON instances (account_id);
      CREATE INDEX instances_status ON instances (status);
      CREATE TABLE status_history (
        id          BIGSERIAL PRIMARY KEY,
        instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
        status      TEXT NOT NULL,
        reason      TEXT NOT NULL,
        at          TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX status_history_instance ON status_history (instance_id, id);
      CREATE TABLE identities (
        instance_id   TEXT PRIMARY KEY REFERENCES instances (id) ON DELETE CASCADE,
        phone_jid     TEXT NOT NULL,
        lid           TEXT,
        push_name     TEXT,
        business_name TEXT,
        platform      TEXT,
        first_seen_at TIMESTAMPTZ NOT NULL,
        last_seen_at  TIMESTAMPTZ NOT NULL,
        stale         BOOLEAN NOT NULL DEFAULT FALSE
      );
      CREATE TABLE events (
        seq         BIGSERIAL PRIMARY KEY,
        id          TEXT NOT NULL UNIQUE,
        account_id  TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        event       TEXT NOT NULL,
        payload     JSONB NOT NULL,
        created_at  TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX events_account_seq ON events (account_id, seq);
      CREATE TABLE auth_state (
        instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
        type        TEXT NOT NULL,
        key_id      TEXT NOT NULL,
        value       BYTEA NOT NULL,
        PRIMARY KEY (instance_id, type, key_id)
      );
    `,
  },
  {
    version: 2,
    name: 'webhook subscriptions, deliveries and dispatch lanes',
    // Deliveries are unique per (event, subscription): fan-out happens once, in the event's own transaction.
    // A lane is (subscription, instance); its wake_at is the due time of its oldest undone delivery (NULL: idle),
    // and its lease says which dispatcher works it. Undone deliveries have a partial index in lane order.
    sqlite: `
      CREATE TABLE webhook_subscriptions (
        id          TEXT PRIMARY KEY,
        account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        instance_id TEXT REFERENCES instances (id) ON DELETE CASCADE,
        url         TEXT NOT NULL,
        events      TEXT NOT NULL,
        secret      BLOB NOT NULL,
        is_active   INTEGER NOT NULL,
        created_at  TEXT NOT NULL
      );
      CREATE INDEX webhook_subscriptions_account ON webhook_subscriptions (account_id, instance_id);
      CREATE INDEX webhook_subscriptions_instance ON webhook_subscriptions (instance_id);
      CREATE TABLE webhook_lanes (
        id              TEXT PRIMARY KEY,
        subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
        instance_id     TEXT NOT NULL,
        wake_at         TEXT,
        lease_until     TEXT,
        lease_token     TEXT
      );
      CREATE INDEX webhook_lanes_wake ON webhook_lanes (wake_at) WHERE wake_at IS NOT NULL;
      CREATE INDEX webhook_lanes_subscription ON webhook_lanes (subscription_id);
      CREATE TABLE webhook_deliveries (
        id              TEXT PRIMARY KEY,
        subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
        lane_id         TEXT NOT NULL,
        account_id      TEXT NOT NULL,
        instance_id     TEXT NOT NULL,
        event_seq       INTEGER NOT NULL,
        event_id        TEXT NOT NULL,
        event           TEXT NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        generation      INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        response_code   INTEGER,
        queued_at       TEXT NOT NULL,
        next_attempt_at TEXT,
        delivered_at    TEXT,
        created_at      TEXT NOT NULL,
        UNIQUE (event_seq, subscription_id)
      );
      CREATE INDEX webhook_deliveries_undone ON webhook_deliveries (lane_id, event_seq) WHERE status IN ('pending', 'failed');
      CREATE INDEX webhook_deliveries_account ON webhook_deliveries (account_id, created_at);
      CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id);
    `,
    postgres: `
      CREATE TABLE webhook_subscriptions (
        id          TEXT PRIMARY KEY,
        account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        instance_id TEXT REFERENCES instances (id) ON DELETE CASCADE,
        url         TEXT NOT NULL,
        events      JSONB NOT NULL,
        secret      BYTEA NOT NULL,
        is_active   BOOLEAN NOT NULL,
        created_at  TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX webhook_subscriptions_account ON webhook_subscriptions (account_id, instance_id);
      CREATE INDEX webhook_subscriptions_instance ON webhook_subscriptions (instance_id);
      CREATE TABLE webhook_lanes (
        id              TEXT PRIMARY KEY,
        subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
        instance_id     TEXT NOT NULL,
        wake_at         TIMESTAMPTZ,
        lease_until     TIMESTAMPTZ,
        lease_token     TEXT
      );
      CREATE INDEX webhook_lanes_wake ON webhook_lanes (wake_at) WHERE wake_at IS NOT NULL;
      CREATE INDEX webhook_lanes_subscription ON webhook_lanes (subscription_id);
      CREATE TABLE webhook_deliveries (
        id              TEXT PRIMARY KEY,
        subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
        lane_id         TEXT NOT NULL,
        account_id      TEXT NOT NULL,
        instance_id     TEXT NOT NULL,
        event_seq       BIGINT NOT NULL,
        event_id        TEXT NOT NULL,
        event           TEXT NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        generation      INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        response_code   INTEGER,
        queued_at       TIMESTAMPTZ NOT NULL,
        next_attempt_at TIMESTAMPTZ,
        delivered_at    TIMESTAMPTZ,
        created_at      TIMESTAMPTZ NOT NULL,
        UNIQUE (event_seq, subscription_id)
      );
      CREATE INDEX webhook_deliveries_undone ON webhook_deliveries (lane_id, event_seq) WHERE status IN ('pending', 'failed');
      CREATE INDEX webhook_deliveries_account ON webhook_deliveries (account_id, created_at);
      CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id);
    `,
  },
  {
    version: 3,
    name: 'outbound message queue',
    // One row per text accepted by POST /v2/send/text, written before the request is answered. `id` is the WhatsApp
    // message id chosen up front, so a re-send after a crash carries the same id. Senders drain an instance's queued
    // rows in seq order; the partial index is exactly that lookup.
    sqlite: `
      CREATE TABLE outbound_messages (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        id              TEXT NOT NULL UNIQUE,
        instance_id     TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
        account_id      TEXT NOT NULL,
        chat_jid        TEXT NOT NULL,
        body            TEXT NOT NULL,
        reply_to        TEXT,
        status          TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        next_attempt_at TEXT NOT NULL,
        sent_at         TEXT,
        wa_timestamp    INTEGER,
        created_at      TEXT NOT NULL
      );
      CREATE INDEX outbound_messages_queued ON outbound_messages (instance_id, seq) WHERE status = 'queued';
    `,
    postgres: `
      CREATE TABLE outbound_messages (
        seq             BIGSERIAL PRIMARY KEY,
        id              TEXT NOT NULL UNIQUE,
        instance_id     TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
        account_id      TEXT NOT NULL,
        chat_jid        TEXT NOT NULL,
        body            TEXT NOT NULL,
        reply_to        TEXT,
        status          TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        next_attempt_at TIMESTAMPTZ NOT NULL,
        sent_at         TIMESTAMPTZ,
        wa_timestamp    BIGINT,
        created_at      TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX outbound_messages_queued ON outbound_messages (instance_id, seq) WHERE status = 'queued';
    `,
  },
  {
    version: 4,
    name: 'cluster: nodes, instance leases, change notifications',
    // docs/multi-node.md. PostgreSQL only: a SQLite file has one process, which owns every instance, and its caches
    // learn of other connections' commits from the file itself (sqlite/external-changes.ts).
    // Lease rows are never deleted while their instance exists (release sets node_id NULL), so `fence` only grows.
    // The triggers tell every node's listener (postgres/change-listener.ts) what changed, on commit; the channel is
    // per schema because NOTIFY channels are database-wide.
    sqlite: `-- nothing: one SQLite process owns every instance (docs/multi-node.md)`,
    postgres: `
      CREATE TABLE cluster_nodes (
        id           TEXT PRIMARY KEY,
        address      TEXT,
        started_at   TIMESTAMPTZ NOT NULL,
        heartbeat_at TIMESTAMPTZ NOT NULL,
        expires_at   TIMESTAMPTZ NOT NULL,
        left_at      TIMESTAMPTZ
      );
      CREATE TABLE instance_leases (
        instance_id TEXT PRIMARY KEY REFERENCES instances (id) ON DELETE CASCADE,
        node_id     TEXT,
        fence       BIGINT NOT NULL,
        expires_at  TIMESTAMPTZ NOT NULL,
        acquired_at TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX instance_leases_node ON instance_leases (node_id) WHERE node_id IS NOT NULL;
      CREATE FUNCTION switchboard_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        payload TEXT;
      BEGIN
        IF TG_LEVEL = 'STATEMENT' THEN
          payload := TG_ARGV[0];
        ELSIF TG_OP = 'DELETE' THEN
          payload := TG_ARGV[0] || ':' || (to_jsonb(OLD) ->> TG_ARGV[1]);
        ELSE
          payload := TG_ARGV[0] || ':' || (to_jsonb(NEW) ->> TG_ARGV[1]);
        END IF;
        PERFORM pg_notify('switchboard.' || TG_TABLE_SCHEMA, payload);
        RETURN NULL;
      END $$;
      CREATE TRIGGER tokens_notify AFTER UPDATE OR DELETE ON tokens
        FOR EACH STATEMENT EXECUTE FUNCTION switchboard_notify('tokens');
      CREATE TRIGGER accounts_notify AFTER UPDATE OR DELETE ON accounts
        FOR EACH STATEMENT EXECUTE FUNCTION switchboard_notify('tokens');
      CREATE TRIGGER instances_notify AFTER UPDATE OR DELETE ON instances
        FOR EACH ROW EXECUTE FUNCTION switchboard_notify('instance', 'id');
      CREATE TRIGGER identities_notify AFTER INSERT OR UPDATE OR DELETE ON identities
        FOR EACH ROW EXECUTE FUNCTION switchboard_notify('identity', 'instance_id');
      CREATE TRIGGER events_notify AFTER INSERT ON events
        FOR EACH STATEMENT EXECUTE FUNCTION switchboard_notify('events');
      CREATE TRIGGER instance_leases_notify AFTER INSERT OR UPDATE OF node_id, fence ON instance_leases
        FOR EACH ROW EXECUTE FUNCTION switchboard_notify('lease', 'instance_id');
    `,
  },
];

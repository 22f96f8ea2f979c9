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
];

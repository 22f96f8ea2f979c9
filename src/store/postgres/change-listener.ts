import pg from 'pg';
import type { ClusterNotice } from '../cluster-types.ts';
import type { StoreLogger } from '../store-logger.ts';
import { withDefaultUser } from './connection-url.ts';

/**
 * One dedicated connection that LISTENs to the schema's change channel, filled by the triggers of migration 4
 * (migrations.ts): every commit that revokes a token, changes an instance or identity row, appends events or moves a
 * lease is announced to every node, whoever wrote it (another node, the CLI, a hand-written UPDATE).
 *
 * `version()` is what lets a cache stay exact: null while the connection is not listening (callers must not cache), and
 * a new number after every (re)connect, because notifications sent while nobody listened are lost and everything
 * cached before may be stale. A ping every `pingMs` finds a connection that died without a word (cut network).
 */

export interface ChangeListenerOptions {
  url: string;
  schema?: string;
  logger?: StoreLogger;
  /** First reconnect delay, doubled up to 2 s. */
  retryMs?: number;
  pingMs?: number;
}

const KINDS_WITH_ID = new Set(['instance', 'identity', 'lease']);

/** Parses a trigger payload ("tokens", "events", "instance:<id>", ...); unknown shapes are ignored (newer nodes). */
export function parseNotice(payload: string | undefined): ClusterNotice | null {
  if (payload === 'tokens' || payload === 'events') return { kind: payload };
  const colon = payload?.indexOf(':') ?? -1;
  if (colon <= 0) return null;
  const kind = payload!.slice(0, colon);
  if (!KINDS_WITH_ID.has(kind)) return null;
  return { kind: kind as 'instance' | 'identity' | 'lease', id: payload!.slice(colon + 1) };
}

export class PgChangeListener {
  readonly #opts: ChangeListenerOptions;
  readonly #listeners = new Set<(notice: ClusterNotice) => void>();
  readonly #stateListeners = new Set<(listening: boolean) => void>();
  #client: pg.Client | null = null;
  #listening = false;
  #version = 0;
  #closed = false;
  #retryMs: number;
  #retryTimer: NodeJS.Timeout | null = null;
  #pingTimer: NodeJS.Timeout | null = null;
  #started: Promise<void> | null = null;

  constructor(opts: ChangeListenerOptions) {
    this.#opts = opts;
    this.#retryMs = opts.retryMs ?? 100;
  }

  /** Connects and listens; resolves once listening (the first attempt's error rejects; later ones retry quietly). */
  start(): Promise<void> {
    this.#started ??= this.#connect();
    return this.#started;
  }

  /** null: not listening now; otherwise changes whenever notifications may have been missed. */
  version(): number | null {
    return this.#listening ? this.#version : null;
  }

  get listening(): boolean {
    return this.#listening;
  }

  subscribe(listener: (notice: ClusterNotice) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Told true after every (re)connect and false when the connection is lost. */
  onState(listener: (listening: boolean) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /** The backend pid of the listening connection (tests cut it with pg_terminate_backend). */
  get backendPid(): number | null {
    return (this.#client as unknown as { processID?: number } | null)?.processID ?? null;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#pingTimer) clearTimeout(this.#pingTimer);
    this.#setListening(false);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: withDefaultUser(this.#opts.url),
      keepAlive: true,
      ...(this.#opts.schema ? { options: `-c search_path=${this.#opts.schema}` } : {}),
    });
    this.#client = client;
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, null));
    client.on('notification', (msg) => {
      if (client !== this.#client) return;
      const notice = parseNotice(msg.payload);
      if (notice) for (const listener of this.#listeners) listener(notice);
    });
    try {
      await client.connect();
      // The configured schema may not exist yet (migrate() creates it after this starts); current_schema() would then
      // be NULL. Without one configured, the search_path's schema is the one the triggers notify for.
      const schema =
        this.#opts.schema ?? (await client.query<{ s: string | null }>('SELECT current_schema() AS s')).rows[0]?.s;
      if (!schema) throw new Error('no current schema to listen for (search_path names none that exists yet)');
      // Schema names are plain identifiers (checked by PostgresDriver), so the quotes cannot be escaped.
      await client.query(`LISTEN "switchboard.${schema}"`);
    } catch (err) {
      this.#lost(client, err as Error); // schedules the next attempt
      throw err;
    }
    if (this.#closed || client !== this.#client) return;
    this.#retryMs = this.#opts.retryMs ?? 100;
    this.#version++;
    this.#setListening(true);
    this.#schedulePing(client);
  }

  #schedulePing(client: pg.Client): void {
    const pingMs = this.#opts.pingMs ?? 5000;
    this.#pingTimer = setTimeout(() => {
      if (client !== this.#client) return;
      const deadline = setTimeout(() => this.#lost(client, new Error('listener ping timed out')), pingMs);
      client.query('SELECT 1').then(
        () => {
          clearTimeout(deadline);
          this.#schedulePing(client);
        },
        (err: unknown) => {
          clearTimeout(deadline);
          this.#lost(client, err as Error);
        },
      );
    }, pingMs);
    this.#pingTimer.unref();
  }

  #lost(client: pg.Client, err: Error | null): void {
    if (client !== this.#client) return;
    this.#client = null;
    if (this.#pingTimer) clearTimeout(this.#pingTimer);
    this.#setListening(false);
    void client.end().catch(() => undefined);
    if (this.#closed) return;
    this.#opts.logger?.warn({ err }, 'change listener lost its PostgreSQL connection; reconnecting');
    const delay = this.#retryMs;
    this.#retryMs = Math.min(2000, this.#retryMs * 2);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#connect().catch(() => undefined); // a failed attempt has already scheduled the next one
    }, delay);
    this.#retryTimer.unref();
  }

  #setListening(listening: boolean): void {
    if (this.#listening === listening) return;
    this.#listening = listening;
    for (const listener of this.#stateListeners) listener(listening);
  }
}

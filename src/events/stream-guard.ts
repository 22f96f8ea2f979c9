import { coalescedRun } from '../lib/index.ts';
import type { AccountStore, InstanceStore, StoreChange, StoreChanges, TokenStore } from '../store/index.ts';

/** What the guard reads: tokens, accounts and instances, and the change feed when the store has one. */
export type GuardedStore = TokenStore &
  AccountStore &
  Pick<InstanceStore, 'getInstance'> & { readonly changes?: StoreChanges };

/**
 * Who may keep a live event stream (SSE or WebSocket) open. A stream authenticates once, at its start; this guard
 * keeps checking that its principal still exists and closes it, with the reason, when it does not:
 *
 * - `token_revoked`: the token it was opened with was revoked (the account still exists);
 * - `account_deleted`: the account is gone (its tokens with it);
 * - `instance_deleted`: a stream narrowed to one instance (`instance_id`) lost that instance.
 *
 * When to check: a write through this process's store (admin revoke, account or instance delete) is announced
 * synchronously by Store.changes and checked at once; writes by anyone else (the offline CLI, another process on the
 * same SQLite file) are caught by a poll every `pollMs` (default 500 ms, so within a second): it re-checks when
 * Store.changes.externalVersion() moved, and on every tick when the store cannot tell (PostgreSQL while its change
 * listener is down). On PostgreSQL other nodes' writes are announced through Store.changes like local ones
 * (LISTEN/NOTIFY). A check reads each distinct token and instance once, however many streams share it.
 *
 * It also counts streams per account and refuses the one past `maxPerAccount` (StreamLimitError).
 */

export type StreamEndReason = 'token_revoked' | 'account_deleted' | 'instance_deleted';

export interface StreamPrincipal {
  accountId: string;
  /** SHA-256 of the access token the stream was opened with (tokens.ts hashToken). */
  tokenHash: string;
  instanceId?: string;
}

export class StreamLimitError extends Error {
  constructor(readonly limit: number) {
    super(`at most ${limit} live event streams per account`);
    this.name = 'StreamLimitError';
  }
}

interface Entry {
  principal: StreamPrincipal;
  end: (reason: StreamEndReason) => void;
}

export interface StreamGuardOptions {
  maxPerAccount: number;
  pollMs?: number;
  onError?: (err: unknown) => void;
}

export class StreamGuard {
  readonly #store: GuardedStore;
  readonly #opts: Required<Omit<StreamGuardOptions, 'onError'>> & Pick<StreamGuardOptions, 'onError'>;
  readonly #entries = new Set<Entry>();
  readonly #perAccount = new Map<string, number>();
  readonly #unsubscribe: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #externalVersion: number | null | undefined;

  constructor(store: GuardedStore, opts: StreamGuardOptions) {
    this.#store = store;
    this.#opts = { pollMs: 500, ...opts };
    this.#unsubscribe = store.changes?.subscribe((change) => this.#onChange(change));
  }

  /** Registers a stream; throws StreamLimitError past the account's limit. Returns the release function. */
  admit(principal: StreamPrincipal, end: (reason: StreamEndReason) => void): () => void {
    const count = this.#perAccount.get(principal.accountId) ?? 0;
    if (count >= this.#opts.maxPerAccount) throw new StreamLimitError(this.#opts.maxPerAccount);
    const entry: Entry = { principal, end };
    this.#entries.add(entry);
    this.#perAccount.set(principal.accountId, count + 1);
    this.#startPolling();
    return () => this.#release(entry);
  }

  /** Live streams of an account (tests, metrics). */
  count(accountId: string): number {
    return this.#perAccount.get(accountId) ?? 0;
  }

  close(): void {
    this.#unsubscribe?.();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Re-checks every stream now; resolves when done (a check already running is followed by one more). */
  readonly check: () => Promise<void> = coalescedRun(
    () => this.#checkAll(),
    (err) => this.#opts.onError?.(err),
  );

  #release(entry: Entry): void {
    if (!this.#entries.delete(entry)) return;
    const left = (this.#perAccount.get(entry.principal.accountId) ?? 1) - 1;
    if (left > 0) this.#perAccount.set(entry.principal.accountId, left);
    else this.#perAccount.delete(entry.principal.accountId);
    if (this.#entries.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #onChange(change: StoreChange): void {
    if (this.#entries.size === 0 || change.kind === 'identity' || change.kind === 'events') return;
    if (change.kind === 'instance' && ![...this.#entries].some((e) => e.principal.instanceId === change.id)) return;
    // Announced inside the writer's statement (maybe its transaction): look once it has committed.
    setImmediate(() => void this.check());
  }

  #startPolling(): void {
    if (this.#timer) return;
    this.#externalVersion = this.#store.changes?.externalVersion() ?? null;
    this.#timer = setInterval(() => {
      const version = this.#store.changes?.externalVersion() ?? null;
      if (version !== null && version === this.#externalVersion) return;
      this.#externalVersion = version;
      void this.check();
    }, this.#opts.pollMs);
    this.#timer.unref();
  }

  async #checkAll(): Promise<void> {
    const entries = [...this.#entries];
    const tokens = new Map<string, Promise<StreamEndReason | null>>();
    const instances = new Map<string, Promise<boolean>>();
    const accounts = new Map<string, Promise<boolean>>();
    const accountExists = (id: string) => memo(accounts, id, async () => (await this.#store.getAccount(id)) !== null);
    const verdicts = await Promise.all(
      entries.map(async (e): Promise<StreamEndReason | null> => {
        const { accountId, tokenHash, instanceId } = e.principal;
        const tokenVerdict = await memo(tokens, tokenHash, async () => {
          const found = await this.#store.findTokenByHash(tokenHash);
          if (found && found.token.revokedAt === null && found.account.id === accountId) return null;
          return (await accountExists(accountId)) ? 'token_revoked' : 'account_deleted';
        });
        if (tokenVerdict) return tokenVerdict;
        if (instanceId === undefined) return null;
        const alive = await memo(
          instances,
          instanceId,
          async () => (await this.#store.getInstance(instanceId))?.accountId === accountId,
        );
        return alive ? null : 'instance_deleted';
      }),
    );
    entries.forEach((entry, i) => {
      const reason = verdicts[i];
      if (!reason || !this.#entries.has(entry)) return;
      this.#release(entry);
      entry.end(reason);
    });
  }
}

function memo<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = map.get(key);
  if (!p) map.set(key, (p = load()));
  return p;
}

import {
  BufferJSON,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from 'baileys';
import type { Logger } from 'pino';
import type { AuthKeyValue } from '../../domain/index.ts';
import { CREDS_ID, CREDS_TYPE, isLinkedCreds } from '../creds.ts';
import { SignalKeyCache } from './signal-key-cache.ts';

/**
 * Baileys' auth state (credentials + Signal keys) over Switchboard's per-instance AuthKeyValue.
 * - creds live under type `creds`, id `creds`; Signal keys under their Baileys type and id.
 * - values are JSON made with Baileys' BufferJSON (Buffers survive the round trip); encryption is the vault's job.
 * - Signal keys are cached in memory for a few minutes, except one-time pre-keys (signal-key-cache.ts).
 * - every keys.set batch becomes exactly ONE auth.set call, so the store writes it atomically.
 * - writes are tracked so a session can wait for them before it reports its close, and can be switched off
 *   (`seal`) so a finished session never touches the auth state again (a new session may already own it).
 */

export { CREDS_TYPE, CREDS_ID, isLinkedCreds };

export function encodeValue(value: unknown): string {
  return JSON.stringify(value, BufferJSON.replacer);
}

export function decodeValue(type: string, raw: string): unknown {
  const value = JSON.parse(raw, BufferJSON.reviver);
  // Baileys expects the protobuf object back for app-state keys (as its own useMultiFileAuthState does).
  if (type === 'app-state-sync-key' && value) return proto.Message.AppStateSyncKeyData.fromObject(value);
  return value;
}

export async function readCreds(auth: AuthKeyValue): Promise<AuthenticationCreds | null> {
  const found = await auth.get(CREDS_TYPE, [CREDS_ID]);
  const raw = found[CREDS_ID];
  return raw === undefined ? null : (decodeValue(CREDS_TYPE, raw) as AuthenticationCreds);
}

/** A pairing-code attempt that never completed: `me` set, no account. Logging in with it gets 401 (13.6). */
export function isHalfPaired(creds: AuthenticationCreds | null | undefined): boolean {
  return Boolean(creds?.me && !creds.account);
}

export interface PersistedAuthState {
  state: AuthenticationState;
  /** Persists the current creds object (Baileys mutates it in place). Saves are applied in call order. */
  saveCreds(): Promise<void>;
  /** Resolves when every write started so far has settled. */
  flush(): Promise<void>;
  /** From now on nothing is written (late Baileys callbacks of a finished socket are dropped). */
  seal(): void;
  /** Seals, waits for pending writes, then deletes the whole auth state. */
  wipe(): Promise<void>;
  /** True when load found half-paired creds and started over with fresh ones. */
  readonly resetHalfPaired: boolean;
}

export async function loadAuthState(auth: AuthKeyValue, logger: Logger): Promise<PersistedAuthState> {
  let creds = await readCreds(auth);
  let resetHalfPaired = false;
  if (isHalfPaired(creds)) {
    // Never start a registration (or a login) from a failed code attempt: wipe and begin again (13.8).
    logger.info('auth state holds an unfinished pairing; wiping it before a fresh registration');
    await auth.clear();
    creds = null;
    resetHalfPaired = true;
  }
  const fresh = creds === null;
  const liveCreds = creds ?? initAuthCreds();

  let sealed = false;
  const pending = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    const done = () => pending.delete(p);
    p.then(done, done);
    return p;
  };
  let credsChain: Promise<void> = Promise.resolve();

  const rawKeys: SignalKeyStore = {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const found = await auth.get(type, ids);
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const [id, raw] of Object.entries(found)) out[id] = decodeValue(type, raw) as SignalDataTypeMap[T];
      return out;
    },
    async set(data: SignalDataSet) {
      if (sealed) {
        logger.debug({ types: Object.keys(data) }, 'auth state sealed; dropping a late key write');
        return;
      }
      const writes: Array<{ type: string; id: string; value: string | null }> = [];
      for (const [type, entries] of Object.entries(data)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          writes.push({ type, id, value: value === null || value === undefined ? null : encodeValue(value) });
        }
      }
      if (writes.length > 0) await track(auth.set(writes));
    },
    async clear() {
      await auth.clear();
    },
  };

  const saveCreds = (): Promise<void> => {
    if (sealed) return Promise.resolve();
    // Serialise the snapshot now (Baileys keeps mutating the object) and keep saves in order.
    const value = encodeValue(liveCreds);
    const next = credsChain.then(() => (sealed ? undefined : auth.set([{ type: CREDS_TYPE, id: CREDS_ID, value }])));
    credsChain = next.catch((err: unknown) => logger.error({ err }, 'saving credentials failed'));
    return track(next);
  };

  const flush = async (): Promise<void> => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };

  const persisted: PersistedAuthState = {
    state: { creds: liveCreds, keys: makeCacheableSignalKeyStore(rawKeys, logger, new SignalKeyCache()) },
    saveCreds,
    flush,
    seal: () => {
      sealed = true;
    },
    wipe: async () => {
      sealed = true;
      await flush();
      await auth.clear();
    },
    resetHalfPaired,
  };
  // Fresh creds are saved at once so the keys generated here (noise, identity, adv secret) match what a QR shows.
  if (fresh) await saveCreds();
  return persisted;
}

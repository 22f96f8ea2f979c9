/**
 * Test harness: bare Baileys (unmodified) against the simulator. Each client gets its own temp auth dir and
 * records every connection.update so tests assert on what Baileys itself emits.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import makeWASocket, {
  type BinaryNode,
  type WAMessage,
  type WAMessageUpdate,
  UPLOAD_TIMEOUT,
  useMultiFileAuthState,
  WA_CERT_DETAILS,
  type AuthenticationState,
  type ConnectionState,
  type UserFacingSocketConfig,
} from 'baileys';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../sim/index.ts';

/**
 * Two Baileys rc14 timer leaks keep a test process alive long after its sockets are gone:
 * - uploadPreKeys races the upload against a bare setTimeout(UPLOAD_TIMEOUT = 30 s) that is never cleared;
 * - end() removes the ws 'close' listeners that would cancel in-flight queries, so each query still waiting at
 *   close time keeps its defaultQueryTimeoutMs timer (60 s by default).
 * We give test clients an odd query timeout and unref timers of exactly those two lengths (Baileys itself stays
 * unmodified). While a test runs, sockets and the simulator keep the loop alive, so these timers still fire normally.
 */
export const QUERY_TIMEOUT_MS = 15_001;
const realSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const t = realSetTimeout(fn, ms, ...args);
  if (ms === UPLOAD_TIMEOUT || ms === QUERY_TIMEOUT_MS) t.unref();
  return t;
}) as typeof setTimeout;

export const silent = pino({ level: process.env.SIM_TEST_LOG ?? 'silent' });

export type WASocket = ReturnType<typeof makeWASocket>;

export interface Client {
  sock: WASocket;
  updates: Partial<ConnectionState>[];
  /** Resolves with the next QR string (or the first one already seen). */
  qr(): Promise<string>;
  /** Resolves on connection 'open'. */
  opened: Promise<void>;
  /** Resolves with lastDisconnect.error when the socket closes. */
  closed: Promise<{ statusCode: number | undefined; message: string; error: unknown }>;
  end(): void;
}

export interface Auth {
  dir: string;
  state: AuthenticationState;
  saveCreds: () => Promise<void>;
}

export async function newAuth(): Promise<Auth> {
  const dir = await mkdtemp(join(tmpdir(), 'sim-auth-'));
  const { state, saveCreds } = await useMultiFileAuthState(dir);
  return { dir, state, saveCreds };
}

export function connect(sim: Simulator, auth: Auth, extra: Partial<UserFacingSocketConfig> = {}): Client {
  // The client trusts the simulator's root instead of WhatsApp's (read on every handshake).
  WA_CERT_DETAILS.PUBLIC_KEY = sim.rootPublicKey;
  const sock = makeWASocket({
    auth: auth.state,
    waWebSocketUrl: sim.url,
    logger: silent,
    markOnlineOnConnect: false,
    connectTimeoutMs: 5_000,
    defaultQueryTimeoutMs: QUERY_TIMEOUT_MS,
    ...extra,
  });
  // A creds.update can still arrive after the test removed the auth dir (Baileys processes buffered stanzas after
  // close); only that late write may fail quietly.
  sock.ev.on(
    'creds.update',
    () =>
      void auth.saveCreds().catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      }),
  );
  const updates: Partial<ConnectionState>[] = [];
  const qrs: string[] = [];
  const qrWaiters: ((q: string) => void)[] = [];
  let onOpen!: () => void;
  let onClose!: (v: { statusCode: number | undefined; message: string; error: unknown }) => void;
  const opened = new Promise<void>((r) => (onOpen = r));
  const closed = new Promise<{ statusCode: number | undefined; message: string; error: unknown }>((r) => (onClose = r));
  sock.ev.on('connection.update', (u) => {
    updates.push(u);
    if (u.qr) {
      qrs.push(u.qr);
      qrWaiters.splice(0).forEach((w) => w(u.qr!));
    }
    if (u.connection === 'open') onOpen();
    if (u.connection === 'close') {
      const error = u.lastDisconnect?.error as { output?: { statusCode?: number }; message?: string } | undefined;
      onClose({ statusCode: error?.output?.statusCode, message: String(error?.message ?? ''), error });
    }
  });
  let qrRead = 0;
  return {
    sock,
    updates,
    qr: () =>
      qrs.length > qrRead
        ? Promise.resolve(qrs[qrRead++])
        : new Promise((r) => qrWaiters.push((q) => (qrRead++, r(q)))),
    opened,
    closed,
    end: () => sock.end(undefined),
  };
}

/** Rejects if `p` does not settle within `ms` (keeps a broken flow from hanging the suite). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
  ]);
}

/** Full QR link: QR → scan → 515 → new socket with the same auth → open. Returns the open client. */
export async function pairByQr(
  sim: Simulator,
  auth: Auth,
  input: { phone: string; pushName?: string | null; platform?: string; businessName?: string | null },
  extra: Partial<UserFacingSocketConfig> = {},
  track: (c: Client) => void = () => {},
): Promise<{ client: Client; jid: string; lid: string }> {
  const first = connect(sim, auth);
  track(first);
  const qr = await within(first.qr(), 5_000, 'first QR');
  const res = await sim.scan({ qr, ...input });
  const c = await within(first.closed, 5_000, 'restart after pairing');
  if (c.statusCode !== 515) throw new Error(`expected 515 after pairing, got ${c.statusCode} ${c.message}`);
  const client = connect(sim, auth, extra);
  track(client);
  await within(client.opened, 8_000, 'open after restart');
  return { client, ...res };
}

export interface Ctx {
  sim: Simulator;
  clients: Client[];
  dirs: string[];
}

/** Starts a simulator, runs `fn`, then always ends every socket, stops the simulator and removes the auth dirs. */
export interface TestCtx extends Ctx {
  auth(): Promise<Auth>;
  /** connect() whose client is ended at cleanup. */
  connect: typeof connect;
  /** pairByQr() whose clients are ended at cleanup. */
  pair(
    auth: Auth,
    input: Parameters<typeof pairByQr>[2],
    extra?: Partial<UserFacingSocketConfig>,
  ): ReturnType<typeof pairByQr>;
}

export async function withSim(fn: (ctx: TestCtx) => Promise<void>, opts: SimulatorOptions = {}): Promise<void> {
  const sim = await startSimulator({ logger: silent, ...opts });
  const ctx: Ctx = { sim, clients: [], dirs: [] };
  try {
    await fn({
      ...ctx,
      auth: async () => {
        const a = await newAuth();
        ctx.dirs.push(a.dir);
        return a;
      },
      connect: (s, a, extra) => {
        const c = connect(s, a, extra);
        ctx.clients.push(c);
        return c;
      },
      pair: (a, input, extra) => pairByQr(sim, a, input, extra, (c) => ctx.clients.push(c)),
    });
  } finally {
    for (const c of ctx.clients) {
      try {
        c.end();
      } catch {
        /* already closed */
      }
    }
    // Let Baileys finish closing (and useMultiFileAuthState finish writing) before the files go away.
    await Promise.all(ctx.clients.map((c) => within(c.closed, 3_000, 'client close').catch(() => undefined)));
    await sim.stop();
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all(ctx.dirs.map((d) => rm(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 })));
  }
}

/** The client checks our MACs and LT hash (Baileys' default checks nothing). */
export const VERIFY = { appStateMacVerification: { patch: true, snapshot: true } };

export async function until<T>(fn: () => T | undefined | false, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Everything the app sees about messages, plus the raw `<enc type>` of each incoming stanza. */
export function record(c: Client) {
  const upserts: Array<{ type: string; msg: WAMessage }> = [];
  const updates: WAMessageUpdate[] = [];
  const encTypes = new Map<string, string>();
  c.sock.ev.on('messages.upsert', ({ messages, type }) => messages.forEach((msg) => upserts.push({ type, msg })));
  c.sock.ev.on('messages.update', (u) => updates.push(...u));
  c.sock.ws.on('CB:message', (node: BinaryNode) => {
    const enc = Array.isArray(node.content) ? node.content.find((n) => n.tag === 'enc') : undefined;
    if (enc) encTypes.set(node.attrs.id, enc.attrs.type);
  });
  const textFrom = (id: string) => upserts.find((u) => u.msg.key.id === id);
  /** The best status the app was told for a sent message (an early receipt is folded into the sender's own upsert). */
  const status = (id: string) =>
    Math.max(
      0,
      ...updates.filter((u) => u.key.id === id).map((u) => u.update.status ?? 0),
      ...upserts.filter((u) => u.msg.key.id === id).map((u) => u.msg.status ?? 0),
    );
  return { upserts, updates, encTypes, textFrom, status };
}

export async function criticalVersion(a: Auth): Promise<number | undefined> {
  const { critical_block: s } = await a.state.keys.get('app-state-sync-version', ['critical_block']);
  return s?.version;
}

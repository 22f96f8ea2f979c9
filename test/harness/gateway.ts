import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { loadConfig, type Config } from '../../src/config.ts';
import type { MessagingOptions } from '../../src/messaging/index.ts';
import { createGateway, type SessionServices } from '../../src/gateway/index.ts';
import type { SessionManagerDeps } from '../../src/sessions/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import type { SimulatorClient } from '../../sim/index.ts';
import { bootstrapAdminToken } from '../../src/tenancy/index.ts';

/**
 * The whole gateway as main.ts assembles it (createGateway of src/gateway/), in sandbox mode: real HTTP on a
 * loopback port, a real SQLite store in a temp dir, the real Baileys engine talking to the embedded simulator (or
 * to a simulator in another process). The one harness of the end-to-end tests and the benches (bench/lib/gateway.ts).
 */

export const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  raw: Buffer;
}

export interface Gateway {
  url: string;
  app: FastifyInstance;
  store: Store;
  sessions: SessionServices;
  /** Calls the API; `query` values are URL-encoded; JSON body when given. */
  call(
    method: string,
    path: string,
    opts?: { query?: Record<string, string>; body?: unknown; headers?: Record<string, string> },
  ): Promise<Answer>;
  admin(method: string, path: string, body?: unknown): Promise<Answer>;
  /** A new account and one of its instances: the credentials for `session()`. */
  newInstance(name?: string, extra?: Record<string, unknown>): Promise<Instance>;
  /** Stops app, sessions, simulator, store; removes the data dir. Keeps the dir when `keepData`. */
  close(opts?: { keepData?: boolean }): Promise<void>;
  dir: string;
}

export interface Instance {
  token: string;
  id: string;
  /** Calls a Wawp instance route with this instance's credentials in the query. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  info(): Promise<any>;
  /** Polls /v2/session/info until status (and reason, when given) match. */
  waitStatus(status: string, reason?: string, timeoutMs?: number): Promise<any>;
  /** Waits for /v2/auth/qr to answer 200 and returns the raw QR value. */
  qr(timeoutMs?: number): Promise<string>;
}

export interface GatewayOptions {
  dir?: string;
  /** The store on PostgreSQL (in this schema) instead of SQLite in `dir`. */
  postgres?: { url: string; schema: string };
  qrTimeoutMs?: number;
  managerOptions?: SessionManagerDeps['options'];
  masterKey?: Buffer;
  /** Reuse a running simulator (not stopped on close). */
  simulator?: SimulatorClient;
  /** Configuration over the defaults (e.g. webhookAllowPrivate, sendRatePerMin). */
  config?: Partial<Config>;
  /** Send wait and retry pacing. */
  messagingOptions?: MessagingOptions;
  /** Shortened backoff and start timeout (default); false: the production defaults (benches). */
  shortTimers?: boolean;
  /** Admin token to bootstrap (default ADMIN_TOKEN). */
  adminToken?: string;
  /** `server_name` of /v2/session/create (default 'e2e'). */
  serverName?: string;
  /** pino level (default $E2E_LOG_LEVEL or silent). */
  logLevel?: string;
  /** The gateway's logger (default: silent, or E2E_LOG_LEVEL). */
  logger?: Logger;
}

export async function startGateway(opts: GatewayOptions = {}): Promise<Gateway> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'sb-e2e-'));
  const logger = opts.logger ?? pino({ level: opts.logLevel ?? process.env.E2E_LOG_LEVEL ?? 'silent' });
  const adminToken = opts.adminToken ?? ADMIN_TOKEN;
  const store = await openStore({
    dataDir: dir,
    logger,
    databaseUrl: opts.postgres?.url,
    schema: opts.postgres?.schema,
  });
  await bootstrapAdminToken(store, adminToken);
  // The engine as users run it (threads, the default) unless SWITCHBOARD_ENGINE_THREADS says otherwise (0: in-process).
  const engineEnv = { SWITCHBOARD_ENGINE_THREADS: process.env.SWITCHBOARD_ENGINE_THREADS };
  const config = { ...loadConfig(engineEnv, []), ...opts.config, dataDir: dir, sandbox: opts.config?.sandbox ?? true };
  const masterKey = opts.masterKey ?? randomBytes(32);
  const short = opts.shortTimers ?? true;
  const { app, sessions } = await createGateway({
    config,
    store,
    masterKey,
    logger,
    serverName: opts.serverName ?? 'e2e',
    qrTimeoutMs: opts.qrTimeoutMs,
    simulator: opts.simulator,
    messagingOptions: opts.messagingOptions,
    managerOptions: short
      ? { backoff: { baseMs: 100, maxMs: 1000, jitter: 0.2 }, startTimeoutMs: 20_000, ...opts.managerOptions }
      : opts.managerOptions,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const url = `http://127.0.0.1:${address.port}`;

  const { call, admin } = httpClient(url, adminToken);

  const gateway: Gateway = {
    url,
    app,
    store,
    sessions,
    dir,
    call,
    admin,
    newInstance: (name, extra) => newInstanceOn({ call, admin }, name, extra),
    async close(o = {}) {
      await app.close();
      await sessions.close();
      await store.close();
      if (!o.keepData) rmSync(dir, { recursive: true, force: true });
    },
  };
  return gateway;
}

/** `call` and `admin` of a gateway at `url` (this process's, or a `switchboard serve` child's). */
export function httpClient(url: string, adminToken: string): Pick<Gateway, 'call' | 'admin'> {
  const call: Gateway['call'] = async (method, path, o = {}) => {
    const qs = o.query ? `?${new URLSearchParams(o.query)}` : '';
    const headers: Record<string, string> = { ...o.headers };
    let body: string | undefined;
    if (o.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(o.body);
    }
    const res = await fetch(`${url}${path}${qs}`, { method, headers, body });
    const raw = Buffer.from(await res.arrayBuffer());
    let parsed: unknown = null;
    if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(raw.toString('utf8'));
    return { status: res.status, headers: res.headers, body: parsed, raw };
  };
  const admin: Gateway['admin'] = (method, path, body) =>
    call(method, path, { body, headers: { authorization: `Bearer ${adminToken}` } });
  return { call, admin };
}

/** A new account and one of its instances, on the gateway `client` talks to. */
export async function newInstanceOn(
  client: Pick<Gateway, 'call' | 'admin'>,
  name = 'e2e',
  extra: Record<string, unknown> = {},
): Promise<Instance> {
  const acc = await client.admin('POST', '/admin/accounts', { name, max_instances: 50 });
  if (acc.status !== 201) throw new Error(`account: ${acc.status} ${acc.raw}`);
  const token = acc.body.access_token as string;
  const created = await client.call('POST', '/v2/session/create', {
    query: { access_token: token },
    body: { name, ...extra },
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${created.raw}`);
  return instanceHandle(client.call, token, created.body.instance_id);
}

/** Handle for another instance of an account whose token we have. */
export function instanceHandle(call: Gateway['call'], token: string, id: string): Instance {
  const inst: Instance = {
    token,
    id,
    call: (method, path, body, headers) =>
      call(method, path, { query: { access_token: token, instance_id: id }, body, headers }),
    async info() {
      const res = await inst.call('GET', '/v2/session/info');
      if (res.status !== 200) throw new Error(`info: ${res.status} ${res.raw}`);
      return res.body;
    },
    async waitStatus(status, reason, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last: any = null;
      while (Date.now() < deadline) {
        last = await inst.info();
        if (last.status === status && (reason === undefined || last.reason === reason)) return last;
        await sleep(50);
      }
      throw new Error(`${id}: wanted ${status}/${reason ?? '*'}, last ${last?.status}/${last?.reason}`);
    },
    async qr(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last: Answer | null = null;
      while (Date.now() < deadline) {
        last = await inst.call('GET', '/v2/auth/qr');
        if (last.status === 200) return last.body.value as string;
        await sleep(50);
      }
      throw new Error(`${id}: no QR, last ${last?.status} ${last?.raw}`);
    },
  };
  return inst;
}

/** Resolves once the instance's event stream (replayed from the start) has a `message` event with this body. */
export async function messageEvent(url: string, i: Instance, body: string, timeoutMs = 60_000): Promise<void> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const res = await fetch(
      `${url}/v2/events/sse?${new URLSearchParams({ access_token: i.token, instance_id: i.id, last_event_id: '0' })}`,
      { signal: abort.signal },
    );
    assert.equal(res.status, 200);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body!) {
      buf += decoder.decode(chunk, { stream: true });
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.startsWith('data: ')) continue;
        const envelope = JSON.parse(line.slice(6));
        if (envelope.event === 'message' && envelope.payload?.body === body) return;
      }
    }
    assert.fail(`${i.id}: the event stream ended before a message "${body}"`);
  } catch (err) {
    if (abort.signal.aborted) assert.fail(`${i.id}: no message event "${body}" within ${timeoutMs} ms`);
    throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it gives something truthy (returned), or fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** The instance's push name on /v2/session/me (null until known, or when it has no identity). */
export async function meName(i: Instance): Promise<string | null> {
  const res = await i.call('GET', '/v2/session/me');
  return res.status === 200 ? res.body.pushName : null;
}

/** A loopback port that was free a moment ago (for a child process that must be given its port). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A fresh random phone number per test, so simulated phones never collide. */
let phoneSeq = 0;
export function newPhone(): string {
  phoneSeq++;
  return `2010${String(Date.now() % 1_000_000).padStart(6, '0')}${String(phoneSeq).padStart(2, '0')}`.slice(0, 13);
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: any;
}

/** A pino logger at `level` whose JSON lines land parsed in `lines` (tests that read what the gateway logged). */
export function capturedLogger(level: string): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from '../../src/gateway/index.ts';
import { loadConfig } from '../../src/config.ts';
import type { RegistryHooks } from '../../src/tenancy/index.ts';
import type { MeSource } from '../../src/http/routes/session-me.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { bootstrapAdminToken } from '../../src/tenancy/index.ts';

/** A real app on a real SQLite store in a throwaway data dir. */
export interface TestApp {
  app: FastifyInstance;
  store: Store;
  dir: string;
  adminToken: string;
  admin: Record<string, string>;
  close(): Promise<void>;
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export async function setup(
  opts: {
    logger?: Logger;
    plugins?: FastifyPluginAsync[];
    registryHooks?: RegistryHooks;
    accessLog?: boolean;
    /** The /me answers for the fast lane (src/http/me-fast-lane.ts), as createGateway gives the session manager. */
    me?: MeSource;
  } = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-http-'));
  const store = await openStore({ dataDir: dir });
  await bootstrapAdminToken(store, ADMIN_TOKEN);
  const config = {
    ...loadConfig({}, []),
    dataDir: dir,
    ...(opts.accessLog === undefined ? {} : { accessLog: opts.accessLog }),
  };
  const app = buildApp({
    config,
    store,
    logger: opts.logger,
    plugins: opts.plugins,
    registryHooks: opts.registryHooks,
    me: opts.me,
    serverName: 'test-server',
  });
  await app.ready();
  return {
    app,
    store,
    dir,
    adminToken: ADMIN_TOKEN,
    admin: { authorization: `Bearer ${ADMIN_TOKEN}` },
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function createAccount(
  t: TestApp,
  name = 'acme',
  maxInstances?: number,
): Promise<{ id: string; token: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/admin/accounts',
    headers: t.admin,
    payload: maxInstances === undefined ? { name } : { name, max_instances: maxInstances },
  });
  if (res.statusCode !== 201) throw new Error(`createAccount: ${res.statusCode} ${res.body}`);
  const body = res.json();
  return { id: body.id, token: body.access_token };
}

export async function createInstance(t: TestApp, token: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: `/v2/session/create?access_token=${token}`, payload: body });
  if (res.statusCode !== 201) throw new Error(`createInstance: ${res.statusCode} ${res.body}`);
  return res.json().instance_id;
}

/** An error body minus its request id, to compare two answers byte for byte otherwise. */
export function withoutRequestId(body: string): string {
  return body.replace(/req_[A-Za-z0-9_-]+/g, 'REQ');
}

export const ACCEPTS = {
  json: 'application/json',
  xml: 'application/xml',
  text: 'text/plain',
  html: 'text/html',
} as const;

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Account, InstanceRecord } from '../store/types.ts';
import { authenticateAccessToken } from '../tenancy/accounts.ts';
import { isAdminToken } from '../tenancy/admin-token.ts';
import type { AuthKind, RequestAuth } from './context.ts';
import { errors } from './errors.ts';
import { takeDeferredBodyError } from './body.ts';

/**
 * Authentication (api.md "Authentication"). It runs as a preValidation hook, i.e. after the body is parsed but
 * before any schema is checked, so a missing or wrong token is 401 even when other parameters are missing too.
 * Every route gets the hook; what it checks comes from `config.auth` or, by default, the path prefix.
 */

type Source = Record<string, unknown> | undefined;

function asRecord(value: unknown): Source {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function header(request: FastifyRequest, name: string): unknown {
  return request.headers[name];
}

function bearer(request: FastifyRequest): unknown {
  const value = header(request, 'authorization');
  if (typeof value !== 'string') return undefined;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
  return m ? m[1] : '';
}

/**
 * A Wawp credential by precedence: query, then JSON body, then header. The first place that carries the name wins,
 * whatever its type; callers reject non-strings.
 */
export function credential(request: FastifyRequest, name: 'access_token' | 'instance_id'): unknown {
  for (const source of [asRecord(request.query), asRecord(request.body)]) {
    if (source && Object.hasOwn(source, name) && source[name] !== undefined) return source[name];
  }
  if (name === 'access_token') return header(request, 'access-token') ?? bearer(request);
  return header(request, 'x-instance-id');
}

/** Instance ids are 12 alphanumerics; accept up to 64 so foreign ids are simply "not found", never looked up raw. */
const INSTANCE_ID = /^[A-Za-z0-9]{1,64}$/;

/** Resolves the access token to its account, or throws 401. */
export async function authenticateAccount(request: FastifyRequest): Promise<RequestAuth> {
  const token = credential(request, 'access_token');
  if (typeof token !== 'string' || token.length === 0) throw errors.invalidAccessToken();
  const found = await authenticateAccessToken(request.server.services.store, token);
  if (!found) throw errors.invalidAccessToken();
  return { account: found.account, token: found.token, instance: null };
}

/** Account routes: any valid access token. */
export async function accountAuth(request: FastifyRequest): Promise<void> {
  request.auth = await authenticateAccount(request);
}

/**
 * Instance routes: valid token, then `instance_id` of that token's account. Another account's instance is answered
 * exactly like a missing one (404 invalid_instance, no other difference), never 403.
 */
export async function accessAuth(request: FastifyRequest): Promise<void> {
  const auth = await authenticateAccount(request);
  const id = credential(request, 'instance_id');
  if (id === undefined || id === '') throw errors.missingParameter('instance_id');
  if (typeof id !== 'string') throw errors.invalidParameter('instance_id');
  const instance = INSTANCE_ID.test(id) ? await request.server.services.registry.getForAccount(auth.account.id, id) : null;
  if (!instance) throw errors.invalidInstance();
  request.auth = { ...auth, instance };
}

/** /admin/* and /sandbox/*: `Authorization: Bearer <admin token>` only, compared by hash in constant time. */
export async function adminAuth(request: FastifyRequest): Promise<void> {
  const token = bearer(request);
  if (typeof token !== 'string' || !(await isAdminToken(request.server.services.store, token))) {
    throw errors.invalidAccessToken();
  }
}

export function defaultAuthKind(url: string): AuthKind {
  if (url.startsWith('/admin/') || url === '/admin' || url.startsWith('/sandbox/') || url === '/sandbox') return 'admin';
  if (url.startsWith('/v2/account/') || url.startsWith('/v2/webhooks/') || url.startsWith('/v2/events/')) return 'account';
  if (url.startsWith('/v2/')) return 'instance';
  return 'none';
}

const HOOKS: Record<AuthKind, ((request: FastifyRequest) => Promise<void>) | null> = {
  none: null,
  admin: adminAuth,
  account: accountAuth,
  instance: accessAuth,
};

/** Installs the auth hook on every route (call before registering routes). */
export function registerAuth(app: FastifyInstance): void {
  app.decorateRequest('auth', null);
  app.addHook('onRoute', (route) => {
    route.config ??= {};
    route.config.auth ??= defaultAuthKind(route.url ?? route.path);
  });
  app.addHook('preValidation', async (request) => {
    const kind = request.routeOptions.config.auth;
    const hook = kind ? HOOKS[kind] : null;
    if (hook) await hook(request);
    const bodyError = takeDeferredBodyError(request);
    if (bodyError) throw bodyError;
  });
}

/** The authenticated account of an account or instance route. */
export function requestAccount(request: FastifyRequest): Account {
  if (!request.auth) throw new Error('route has no account auth (config.auth)');
  return request.auth.account;
}

/** The authenticated instance of an instance route (already checked to belong to the token's account). */
export function requestInstance(request: FastifyRequest): InstanceRecord {
  if (!request.auth?.instance) throw new Error('route has no instance auth (config.auth)');
  return request.auth.instance;
}

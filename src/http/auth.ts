import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify';
import type { Account, InstanceRecord, SettingsStore } from '../store/index.ts';
import type { AuthenticatedAccount } from '../tenancy/index.ts';
import { hashToken, isAdminToken, MAX_TOKEN_LENGTH } from '../tenancy/index.ts';
import type { AuthCache } from '../tenancy/index.ts';
import type { AuthKind } from './context.ts';
import { errors } from './api-errors.ts';
import { takeDeferredBodyError } from './body.ts';
import { mergeWawpParams } from './wawp-params.ts';

/**
 * Authentication (docs/http-api.md "Authentication"). It runs as a preValidation hook, i.e. after the body is parsed but
 * before any schema is checked, so a missing or wrong token is 401 even when other parameters are missing too.
 * Every route gets the hook; what it checks comes from `config.auth` or, by default, the path prefix.
 */

type Source = Record<string, unknown> | undefined;

function asRecord(value: unknown): Source {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
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
  const query = asRecord(request.query);
  if (query && Object.hasOwn(query, name) && query[name] !== undefined) return query[name];
  const body = asRecord(request.body);
  if (body && Object.hasOwn(body, name) && body[name] !== undefined) return body[name];
  if (name === 'access_token') return header(request, 'access-token') ?? bearer(request);
  return header(request, 'x-instance-id');
}

/** Instance ids are 12 alphanumerics; accept up to 64 so foreign ids are simply "not found", never looked up raw. */
const INSTANCE_ID = /^[A-Za-z0-9]{1,64}$/;

/** What an auth step returns: nothing when it finished synchronously (a cache hit), else a promise. */
type Step = void | Promise<void>;

/** What authentication reads: the token caches and, for the admin token, the store. */
export interface AuthDeps {
  authCache: AuthCache;
  store: SettingsStore;
}

type StepFn = (request: FastifyRequest) => Step;

/**
 * The SHA-256 of the last access token seen on each connection. A keep-alive client sends the same token on every
 * request, and hashing it was the largest single cost of authenticating one (~3 µs of a /me answer in
 * `npm run bench -- http`). It is a pure function of the token, so a remembered hash can never be stale: revocation
 * stays exact (the cache it keys is, see AuthCache). The raw token stays in memory as long as its connection (the
 * socket's own buffers held it anyway) and is never written anywhere.
 */
const lastTokenHash = new WeakMap<object, { token: string; hash: string }>();

export function connectionTokenHash(socket: object | undefined, token: string): string {
  const seen = socket === undefined ? undefined : lastTokenHash.get(socket);
  if (seen !== undefined && seen.token === token) return seen.hash;
  const hash = hashToken(token);
  if (socket !== undefined) lastTokenHash.set(socket, { token, hash });
  return hash;
}

/** The access token the request presents (query, body, headers), or 401. */
function presentedToken(request: FastifyRequest): string {
  const token = credential(request, 'access_token');
  if (typeof token !== 'string' || token.length === 0) throw errors.invalidAccessToken();
  return token;
}

function accountFound(found: AuthenticatedAccount | null): AuthenticatedAccount {
  if (!found) throw errors.invalidAccessToken();
  return found;
}

/**
 * The check of each auth kind, closed over the caches it reads. Written without a closure per request: on a cache
 * hit a step allocates nothing but the request's `auth` record.
 */
function authSteps(deps: AuthDeps): Record<AuthKind, StepFn | null> {
  const { authCache } = deps;

  /** The account of the presented token: synchronously on an auth-cache hit, else a promise; 401 when none. */
  const account = (request: FastifyRequest): AuthenticatedAccount | Promise<AuthenticatedAccount> => {
    const token = presentedToken(request);
    const found = authCache.authenticate(
      token,
      token.length <= MAX_TOKEN_LENGTH ? connectionTokenHash(request.raw.socket, token) : undefined,
    );
    return found instanceof Promise ? found.then(accountFound) : accountFound(found);
  };

  /** Account routes: any valid access token. */
  const setAccount = (request: FastifyRequest, found: AuthenticatedAccount): void => {
    request.auth = { account: found.account, token: found.token, instance: null };
  };
  const accountStep: StepFn = (request) => {
    const found = account(request);
    if (found instanceof Promise) return found.then((f) => setAccount(request, f));
    setAccount(request, found);
  };

  /**
   * Instance routes: valid token, then `instance_id` of that token's account. Another account's instance is answered
   * exactly like a missing one (404 invalid_instance, no other difference), never 403.
   */
  const setInstance = (request: FastifyRequest, found: AuthenticatedAccount): Step => {
    const id = credential(request, 'instance_id');
    if (id === undefined || id === '') throw errors.missingParameter('instance_id');
    if (typeof id !== 'string') throw errors.invalidParameter('instance_id');
    if (!INSTANCE_ID.test(id)) throw errors.invalidInstance();
    const instance = authCache.instanceForAccount(found.account.id, id);
    if (instance instanceof Promise) return instance.then((i) => instanceFound(request, found, i));
    instanceFound(request, found, instance);
  };
  const instanceStep: StepFn = (request) => {
    const found = account(request);
    if (found instanceof Promise) return found.then((f) => setInstance(request, f));
    return setInstance(request, found);
  };

  /** /admin/* and /sandbox/*: `Authorization: Bearer <admin token>` only, compared by hash in constant time. */
  const adminStep: StepFn = async (request) => {
    const token = bearer(request);
    if (typeof token !== 'string' || !(await isAdminToken(deps.store, token))) {
      throw errors.invalidAccessToken();
    }
  };

  return { none: null, admin: adminStep, account: accountStep, instance: instanceStep };
}

function instanceFound(request: FastifyRequest, found: AuthenticatedAccount, instance: InstanceRecord | null): void {
  if (!instance) throw errors.invalidInstance();
  request.auth = { account: found.account, token: found.token, instance };
}

export function defaultAuthKind(url: string): AuthKind {
  if (url.startsWith('/admin/') || url === '/admin' || url.startsWith('/sandbox/') || url === '/sandbox')
    return 'admin';
  if (url.startsWith('/v2/account/') || url.startsWith('/v2/webhooks/') || url.startsWith('/v2/events/'))
    return 'account';
  if (url.startsWith('/v2/')) return 'instance';
  return 'none';
}

/** Wawp routes (access-token auth) take every parameter from the query or the body: merged here, after auth. */
function afterAuth(request: FastifyRequest, wawpParams: boolean, done: (err?: Error) => void): void {
  const bodyError = takeDeferredBodyError(request);
  if (bodyError) return done(bodyError);
  if (wawpParams) {
    try {
      mergeWawpParams(request);
    } catch (err) {
      return done(err as Error);
    }
  }
  done();
}

/**
 * The preValidation hook of one auth kind, callback style: on an auth-cache hit it completes synchronously, with no
 * promise at all (they add up at tens of thousands of requests per second). The deferred body error comes after
 * authentication (401 before 400).
 */
function authHook(step: StepFn | null, wawpParams: boolean): preValidationHookHandler {
  return function auth(request, _reply, done) {
    let pending: Step;
    try {
      pending = step ? step(request) : undefined;
    } catch (err) {
      done(err as Error);
      return;
    }
    if (pending) pending.then(() => afterAuth(request, wawpParams, done), done);
    else afterAuth(request, wawpParams, done);
  };
}

const AUTH_HOOK = Symbol('switchboard.auth');

/**
 * Installs authentication on every route (call before registering routes): each route gets its own preValidation
 * hook for its kind, placed first, so nothing reads route options per request. GET/HEAD routes without auth need no
 * hook (bodyless methods never parse a body, so there is no deferred body error). Unknown URLs (404/405) keep the
 * body check through the not-found handler's options (notFoundPreValidation).
 */
export function registerAuth(app: FastifyInstance, deps: AuthDeps): void {
  const steps = authSteps(deps);
  app.decorateRequest('auth', null);
  app.addHook('onRoute', (route) => {
    route.config ??= {};
    const kind = (route.config.auth ??= defaultAuthKind(route.url ?? route.path));
    const existing =
      route.preValidation === undefined
        ? []
        : Array.isArray(route.preValidation)
          ? route.preValidation
          : [route.preValidation];
    if (existing.some((h) => (h as { [AUTH_HOOK]?: true })[AUTH_HOOK])) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (kind === 'none' && methods.every((m) => m === 'GET' || m === 'HEAD')) return;
    const hook = Object.assign(authHook(steps[kind], kind === 'account' || kind === 'instance'), {
      [AUTH_HOOK]: true as const,
    });
    route.preValidation = [hook, ...existing];
  });
}

/** The preValidation of the not-found handler: what the auth hook does for a route without auth. */
export const notFoundPreValidation: preValidationHookHandler = authHook(null, false);

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

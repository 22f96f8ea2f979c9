import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SimError } from '../../sim/index.ts';
import { EngineUnreachableError, SendFailedError } from '../messaging/index.ts';
import {
  EngineRequestError,
  InvalidStateError,
  ManagerClosedError,
  OwnedElsewhereError,
  SessionNotFoundError,
} from '../sessions/index.ts';
import { DatabaseUnavailableError, LeaseLostError, QuotaReachedError } from '../store/index.ts';
import { WebhookInputError } from '../webhooks/index.ts';
import { notFoundPreValidation } from './auth.ts';
import { ApiError, errors } from './api-errors.ts';
import { sendError } from './renditions.ts';
import { validationToApiError } from './validation.ts';

/**
 * Every failure becomes one of the error bodies of docs/http-api.md "Errors": thrown ApiErrors, schema failures, body-parser failures,
 * unknown routes (404 not_found), known paths with a wrong method (405 + Allow), and anything unexpected
 * (500 internal_error, logged with the request id, nothing internal in the body).
 */

/**
 * Domain errors and their HTTP meaning, in one place (after Fastify's lib/errors.js catalogue): the layers below
 * throw what happened in their own terms; routes never catch to translate. Anything not listed (and not an
 * ApiError or a Fastify error) is a 500.
 */
type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;
interface DomainError<E extends Error = Error> {
  type: ErrorClass<E>;
  toApi(err: E): ApiError;
}
const domain = <E extends Error>(type: ErrorClass<E>, toApi: (err: E) => ApiError) => ({ type, toApi }) as DomainError;

/** Simulator (sandbox) codes: unknown or expired QR/code → 404, bad input → 400, a code flow in the wrong state → 409. */
const SIM_NOT_FOUND = new Set([
  'qr_unknown',
  'no_pending_code',
  'code_mismatch',
  'code_timeout',
  'not_found',
  'unknown_account',
]);
const SIM_WRONG_STATE = new Set(['code_in_progress', 'code_superseded']);
/** The request field a simulator input error is about. */
const SIM_PARAMETER: Record<string, string> = {
  invalid_phone: 'phone',
  qr_invalid: 'qr',
  invalid_code: 'code',
  invalid_name: 'push_name',
  invalid_text: 'text',
  // Only reachable if the schema of POST /sandbox/faults is bypassed (it checks both first).
  invalid_fault: 'fault',
  invalid_connections: 'connections',
  // Only reachable through POST /sandbox/phones/:phone/disconnect (the schema checks `mode` first).
  invalid_mode: 'phone',
};
function simToApi(err: SimError): ApiError {
  if (SIM_NOT_FOUND.has(err.code)) return errors.notFound({ reason: err.code });
  if (SIM_WRONG_STATE.has(err.code)) return errors.invalidState(err.code);
  return errors.invalidParameter(SIM_PARAMETER[err.code] ?? 'body', { reason: err.code });
}

export const DOMAIN_ERRORS: readonly DomainError[] = [
  domain(SessionNotFoundError, () => errors.invalidInstance()),
  domain(InvalidStateError, (err) => errors.invalidState(err.status)),
  // The process is shutting down: the engine side is unavailable, not our bug.
  domain(ManagerClosedError, () => errors.upstream()),
  domain(EngineRequestError, () => errors.upstream()),
  // Another node holds the instance and this call was not forwarded to it: a forwarded call that arrived after the
  // lease moved (never forwarded twice), or a holder with no address (docs/multi-node.md "Forwarding").
  domain(OwnedElsewhereError, () => errors.ownerUnavailable('owned_elsewhere')),
  // This node's lease ended while the call ran (taken over after a missed renewal): the new owner answers a retry.
  domain(LeaseLostError, () => errors.ownerUnavailable('lease_lost')),
  domain(SendFailedError, () => errors.upstream()),
  domain(EngineUnreachableError, () => errors.upstream()),
  domain(QuotaReachedError, (err) => errors.quotaReached(err.limit)),
  domain(DatabaseUnavailableError, () => errors.databaseUnavailable()),
  domain(WebhookInputError, (err) => errors.invalidParameter(err.parameter, { reason: err.reason })),
  domain(SimError, simToApi),
];

export function fromDomain(err: Error): ApiError | null {
  for (const entry of DOMAIN_ERRORS) if (err instanceof entry.type) return entry.toApi(err);
  return null;
}

/** Fastify's own 4xx codes → our codes. Anything else with a 4xx status is an invalid parameter. */
function fromFastify(err: FastifyError): ApiError | null {
  if (err instanceof ApiError) return err;
  if (err.validation) return validationToApiError(err.validation, err.validationContext);
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.invalidParameter('Content-Type');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return errors.invalidParameter('body');
    case 'FST_ERR_BAD_URL':
      return errors.invalidParameter('url');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // An id in the path longer than any id we issue (routerOptions.maxParamLength).
      return errors.invalidParameter('path', undefined, 'a path parameter is longer than 200 characters');
  }
  const status = err.statusCode ?? 500;
  if (status === 413) return errors.payloadTooLarge();
  if (status === 404) return errors.notFound();
  if (status >= 400 && status < 500) return errors.invalidParameter('request');
  return null;
}

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = error instanceof Error ? (fromDomain(error) ?? fromFastify(error as FastifyError)) : null;
  if (known && known.statusCode < 500) return sendError(request, reply, known);
  if (known) {
    // 5xx we chose (e.g. 502): log the cause, answer the stable body.
    request.log.warn({ err: error }, `answered ${known.code}`);
    return sendError(request, reply, known);
  }
  request.log.error({ err: error }, 'unexpected error');
  return sendError(request, reply, errors.internal());
}

/**
 * Route patterns seen so far, to tell "unknown path" (404) from "wrong method" (405). Patterns are grouped by their
 * literal leading segments (at most two: `v2/session`, `health`, or none when the first is a parameter), and a path
 * is only tested against the groups its own first segments name: a few regex tests per unknown URL, not one per route
 * (testing every route was ~20 of the ~120 µs of CPU a 404 took through `inject`).
 */
class RouteTable {
  readonly #groups = new Map<string, Array<{ pattern: RegExp; methods: Set<string> }>>();
  readonly #byUrl = new Map<string, Set<string>>();

  add(url: string, methods: string | string[]): void {
    let set = this.#byUrl.get(url);
    if (!set) {
      set = new Set();
      this.#byUrl.set(url, set);
      const source = url
        .replace(/\/+$/, '')
        .split('/')
        .map((seg) => (seg === '*' ? '.*' : seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      const key = groupKey(url);
      let group = this.#groups.get(key);
      if (!group) this.#groups.set(key, (group = []));
      group.push({ pattern: new RegExp(`^${source}/?$`), methods: set });
    }
    for (const m of Array.isArray(methods) ? methods : [methods]) set.add(m.toUpperCase());
  }

  allowed(path: string): string[] {
    const out = new Set<string>();
    const [first = '', second] = path.split('/').slice(1);
    for (const key of new Set(['', first, `${first}/${second}`])) {
      for (const r of this.#groups.get(key) ?? []) if (r.pattern.test(path)) for (const m of r.methods) out.add(m);
    }
    return [...out].sort();
  }
}

/** A route's group: its first two segments when both are literal, its first when only that one is, else ''. */
function groupKey(url: string): string {
  const literal = (seg: string | undefined): seg is string => !!seg && !seg.includes(':') && !seg.includes('*');
  const [first, second] = url.replace(/\/+$/, '').split('/').slice(1);
  if (!literal(first)) return '';
  return literal(second) ? `${first}/${second}` : first;
}

/** 404 for a path no route serves; its message says where the routes are listed (or that the sandbox is off). */
function unknownRoute(method: string, path: string, sandbox: boolean): ApiError {
  if (!sandbox && (path === '/sandbox' || path.startsWith('/sandbox/'))) {
    return errors.notFound(
      undefined,
      'sandbox mode is off (start the gateway with SWITCHBOARD_SANDBOX=1 to use /sandbox/*)',
    );
  }
  return errors.notFound(undefined, `no route ${method} ${path.slice(0, 200)}; the routes are listed at /docs`);
}

export function registerErrorHandling(app: FastifyInstance, opts: { sandbox: boolean }): void {
  const table = new RouteTable();
  app.addHook('onRoute', (route) => table.add(route.url ?? route.path, route.method));
  const noRoute = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split('?')[0] ?? '/';
    const allow = table.allowed(path);
    return sendError(
      request,
      reply,
      allow.length > 0 ? errors.methodNotAllowed(allow) : unknownRoute(request.method, path, opts.sandbox),
    );
  };
  app.setErrorHandler((error, request, reply) => {
    // Fastify refuses a QUERY without Content-Type before looking for a route; where no route takes QUERY, the
    // answer is the same 404/405 as for any other method.
    if (request.is404 && (error as FastifyError).code === 'FST_ERR_ROUTE_MISSING_CONTENT_TYPE')
      return noRoute(request, reply);
    return handleError(error, request, reply);
  });
  // Unknown URLs still get the body check the auth hook makes on routes (an unparseable body is 400, as before).
  app.setNotFoundHandler({ preValidation: notFoundPreValidation }, noRoute);
}

/** For Fastify's `frameworkErrors` option: URLs the router cannot even decode. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  handleError(error, request, reply);
}

/**
 * The error model of docs/http-api.md "Errors": one class, one factory per code. Messages are English and stable (clients match them),
 * so they live here and nowhere else. Routes throw `errors.x(...)`; the error handler (error-handler.ts) renders.
 */

export type ErrorDetails = Record<string, unknown>;

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetails,
    /** Extra response headers (e.g. `Allow` on 405). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const MESSAGES = {
  missing_parameter: 'Bad Request - Missing Required Parameter(s)',
  invalid_parameter: 'Bad Request - Invalid Parameter',
  invalid_access_token: 'Unauthorized - Invalid or Missing Access Token',
  quota_reached: 'Forbidden - Quota or Limit Reached',
  forward_refused: 'Forbidden - Forwarded Call Refused',
  invalid_instance: 'Not Found - Session Does Not Exist',
  session_not_connected: 'Not Found - Session Is Not Connected',
  not_found: 'Not Found',
  method_not_allowed: 'Method Not Allowed',
  not_implemented: 'Not Implemented',
  invalid_state: 'Conflict - Not Allowed In Current Status',
  payload_too_large: 'Payload Too Large',
  too_many_requests: 'Too Many Requests - Limit Reached',
  internal_error: 'Internal Server Error - Unexpected Failure',
  wawp_upstream_error: 'Bad Gateway - Connection Failed to Upstream',
  owner_unavailable: 'Service Unavailable - Owner Not Reachable',
  database_unavailable: 'Service Unavailable - Database Unreachable',
} as const;

export type ErrorCode = keyof typeof MESSAGES;

/**
 * The message is Wawp's stable phrase, then (after ": ") the specific reason when there is one, so a client that
 * shows only `message` (Wawp's Python SDK does) still tells its user what to fix. Clients matching the phrase can
 * match its beginning; `code` and `details` carry the same facts for machines.
 */
const make = (
  status: number,
  code: ErrorCode,
  details?: ErrorDetails,
  headers?: Record<string, string>,
  reason?: string,
): ApiError => {
  const message = reason ? `${MESSAGES[code]}: ${reason}` : MESSAGES[code];
  if (status >= 500) return new ApiError(status, code, message, details, headers);
  // A client error (4xx) is an answer, not a fault: nobody logs its stack, and capturing one was the largest single
  // CPU cost of a 404. Server errors keep theirs.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ApiError(status, code, message, details, headers);
  } finally {
    Error.stackTraceLimit = limit;
  }
};

/** "x is not valid", or the parser's own words when details carry a reason string. */
function invalidReason(parameter: string, extra: ErrorDetails | undefined): string {
  return typeof extra?.reason === 'string' ? `${parameter}: ${extra.reason}` : `${parameter} is not valid`;
}

export const errors = {
  missingParameter: (parameter: string) =>
    make(400, 'missing_parameter', { parameter }, undefined, `${parameter} is required`),
  /** `why`: the reason in words, e.g. "chatId must be a phone number or a JID"; details stay as given. */
  invalidParameter: (parameter: string, extra?: ErrorDetails, why?: string) =>
    make(400, 'invalid_parameter', { parameter, ...extra }, undefined, why ?? invalidReason(parameter, extra)),
  invalidAccessToken: () => make(401, 'invalid_access_token'),
  quotaReached: (limit?: number) =>
    make(
      403,
      'quota_reached',
      limit === undefined ? undefined : { limit },
      undefined,
      limit === undefined ? undefined : `this account may have ${limit} instances`,
    ),
  invalidInstance: () => make(404, 'invalid_instance'),
  sessionNotConnected: (status: string) =>
    make(404, 'session_not_connected', { status }, undefined, `the session is ${status}`),
  notFound: (details?: ErrorDetails, why?: string) => make(404, 'not_found', details, undefined, why),
  methodNotAllowed: (allow: string[]) =>
    make(405, 'method_not_allowed', { allow }, { Allow: allow.join(', ') }, `use ${allow.join(', ')}`),
  notImplemented: (method: string, route: string) =>
    make(
      501,
      'not_implemented',
      { route, method },
      undefined,
      `${method} ${route} is a Wawp route that Switchboard does not implement`,
    ),
  invalidState: (status: string) => make(409, 'invalid_state', { status }, undefined, `the session is ${status}`),
  payloadTooLarge: () => make(413, 'payload_too_large'),
  tooManyRequests: (details?: ErrorDetails) => make(429, 'too_many_requests', details),
  internal: () => make(500, 'internal_error'),
  upstream: () => make(502, 'wawp_upstream_error'),
  /** A call marked as forwarded by another node whose signature does not verify (docs/multi-node.md "Forwarding"). */
  forwardRefused: (reason: string) =>
    make(403, 'forward_refused', { reason }, undefined, `forwarding signature ${reason}`),
  /**
   * Several nodes: the instance is held by another node that cannot take the call now (moving between nodes, or a
   * forwarded call reached a node that no longer holds it). `Retry-After` in seconds.
   */
  ownerUnavailable: (reason: string, retryAfterS = 2) =>
    make(
      503,
      'owner_unavailable',
      { reason, retry_after: retryAfterS },
      { 'Retry-After': String(retryAfterS) },
      `the node running this instance cannot take the call now (${reason}); retry in ${retryAfterS} s`,
    ),
  /** Nothing was written; retry once the database is back (several nodes: PostgreSQL restarting or out of reach). */
  databaseUnavailable: () => make(503, 'database_unavailable', undefined, { 'Retry-After': '5' }),
};

/** The JSON body of an error (the other renditions are derived from it in renditions.ts). */
export interface ErrorBody {
  status: number;
  code: string;
  message: string;
  request_id: string;
  details?: ErrorDetails;
}

export function errorBody(err: ApiError, requestId: string): ErrorBody {
  const body: ErrorBody = { status: err.statusCode, code: err.code, message: err.message, request_id: requestId };
  if (err.details !== undefined) body.details = err.details;
  return body;
}

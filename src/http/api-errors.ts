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
  invalid_instance: 'Not Found - Session Does Not Exist',
  session_not_connected: 'Not Found - Session Is Not Connected',
  not_found: 'Not Found',
  method_not_allowed: 'Method Not Allowed',
  invalid_state: 'Conflict - Not Allowed In Current Status',
  payload_too_large: 'Payload Too Large',
  too_many_requests: 'Too Many Requests - Limit Reached',
  internal_error: 'Internal Server Error - Unexpected Failure',
  wawp_upstream_error: 'Bad Gateway - Connection Failed to Upstream',
} as const;

export type ErrorCode = keyof typeof MESSAGES;

const make = (status: number, code: ErrorCode, details?: ErrorDetails, headers?: Record<string, string>): ApiError =>
  new ApiError(status, code, MESSAGES[code], details, headers);

export const errors = {
  missingParameter: (parameter: string) => make(400, 'missing_parameter', { parameter }),
  invalidParameter: (parameter: string, extra?: ErrorDetails) => make(400, 'invalid_parameter', { parameter, ...extra }),
  invalidAccessToken: () => make(401, 'invalid_access_token'),
  quotaReached: (limit?: number) => make(403, 'quota_reached', limit === undefined ? undefined : { limit }),
  invalidInstance: () => make(404, 'invalid_instance'),
  sessionNotConnected: (status: string) => make(404, 'session_not_connected', { status }),
  notFound: (details?: ErrorDetails) => make(404, 'not_found', details),
  methodNotAllowed: (allow: string[]) => make(405, 'method_not_allowed', { allow }, { Allow: allow.join(', ') }),
  invalidState: (status: string) => make(409, 'invalid_state', { status }),
  payloadTooLarge: () => make(413, 'payload_too_large'),
  tooManyRequests: (details?: ErrorDetails) => make(429, 'too_many_requests', details),
  internal: () => make(500, 'internal_error'),
  upstream: () => make(502, 'wawp_upstream_error'),
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

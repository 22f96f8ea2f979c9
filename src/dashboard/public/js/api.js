// The page's only way to the gateway: the public HTTP API, credentials in headers (never in a URL).

import { load } from './session.js';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? (status ? `HTTP ${status}` : 'The gateway did not answer (network error)'));
    this.status = status;
    this.code = body?.code ?? null;
    this.body = body;
  }
}

let unauthorized = () => {};
/** Called with (which: 'account' | 'admin', error) on any 401: the token was revoked or is wrong. */
export function onUnauthorized(fn) {
  unauthorized = fn;
}

function headersFor(auth, extra) {
  const creds = load();
  const headers = { ...extra };
  if (auth === 'account' && creds.account) headers['access-token'] = creds.account.token;
  if (auth === 'admin' && creds.admin) headers.authorization = `Bearer ${creds.admin}`;
  return headers;
}

/**
 * call('GET', '/v2/session/info', {instance, query, body, auth: 'account' | 'admin' | 'none', as: 'json' | 'blob'})
 * Resolves to the parsed body (null for 204); rejects with ApiError carrying the API's message.
 */
export async function call(method, path, opts = {}) {
  const auth = opts.auth ?? 'account';
  const query = new URLSearchParams(opts.query ?? {});
  if (opts.instance) query.set('instance_id', opts.instance);
  const qs = query.toString();
  const headers = headersFor(auth, { accept: opts.accept ?? 'application/json', ...opts.headers });
  let body;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch(`${path}${qs ? `?${qs}` : ''}`, {
      method,
      headers,
      body,
      cache: 'no-store',
      signal: opts.signal,
    });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError(0, null);
  }
  if (!res.ok) {
    let parsed = null;
    try {
      parsed = await res.json();
    } catch {
      parsed = null;
    }
    const error = new ApiError(res.status, parsed);
    if (res.status === 401 && auth !== 'none') unauthorized(auth, error);
    throw error;
  }
  if (opts.as === 'blob') return res.blob();
  if (res.status === 204) return null;
  return res.json();
}

/** Shorthands: account routes, instance routes, admin routes. */
export const account = (method, path, o = {}) => call(method, path, { ...o, auth: 'account' });
export const instance = (id, method, path, o = {}) => call(method, path, { ...o, instance: id, auth: 'account' });
export const admin = (method, path, o = {}) => call(method, path, { ...o, auth: 'admin' });

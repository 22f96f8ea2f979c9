import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * The HTTP side of forwarding: one request to the holder's internal address, its answer read whole (answers of the
 * forwarded routes are small JSON, XML or PNG bodies). Kept-alive connections per target. Node's own client, not
 * fetch: fetch would decode content encodings and refuse some headers, and the answer must be relayed unchanged.
 */

/** Hop-by-hop headers (RFC 9110 §7.6.1) and those the next hop computes itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'date',
]);

export function endToEnd(headers: IncomingHttpHeaders, drop: ReadonlySet<string> = new Set()): OutgoingHttpHeaders {
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name) || drop.has(name)) continue;
    out[name] = value;
  }
  return out;
}

export interface RelayedAnswer {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/** Failures that happen before a byte of the request can have reached the holder. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** The holder could not be reached (refused, reset, timed out): no answer to relay. */
export class ForwardUnreachableError extends Error {
  /** The holder may have received (and acted on) the call: reset or timed out after connecting. */
  readonly mayHaveArrived: boolean;

  constructor(
    readonly target: string,
    override readonly cause: unknown,
  ) {
    super(`forwarding to ${target} failed: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'ForwardUnreachableError';
    this.mayHaveArrived = !NOT_SENT.has((cause as NodeJS.ErrnoException)?.code ?? '');
  }
}

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

export function forwardTo(
  address: string,
  call: { method: string; url: string; headers: OutgoingHttpHeaders; body: Buffer },
  timeoutMs: number,
): Promise<RelayedAnswer> {
  const target = new URL(call.url, address);
  const https = target.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) => reject(new ForwardUnreachableError(target.origin, err));
    const req = (https ? httpsRequest : httpRequest)(
      target,
      {
        method: call.method,
        headers: { ...call.headers, 'content-length': String(call.body.length) },
        agent: https ? agents.https : agents.http,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 502, headers: endToEnd(res.headers), body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', fail);
    req.end(call.body.length > 0 ? call.body : undefined);
  });
}

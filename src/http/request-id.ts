import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * Request ids: a caller's `X-Request-Id` is kept when it is a sane short token (so ids can be followed across
 * services), otherwise replaced; it goes into every log line and back in the `X-Request-Id` header.
 *
 * Our own ids need to be unique, not secret: a per-process random prefix (48 bits) plus a counter, instead of 12
 * random bytes per request (randomFillSync was a visible share of a small route's CPU). Fixed width (8 + 8 chars,
 * as long as the random ids were): answers that differ only by request id keep the same length (tenant isolation
 * compares whole answers, Content-Length included).
 */
const SANE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

const PREFIX = `req_${randomBytes(6).toString('base64url')}`;
let counter = 0;

export function genReqId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  if (typeof incoming === 'string' && SANE.test(incoming)) return incoming;
  return PREFIX + (++counter).toString(36).padStart(8, '0');
}

export function registerRequestId(app: FastifyInstance): void {
  // Callback style, not async: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    done();
  });
}

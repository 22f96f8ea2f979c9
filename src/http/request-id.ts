import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * Request ids: a caller's `X-Request-Id` is kept when it is a sane short token (so ids can be followed across
 * services), otherwise replaced; it goes into every log line and back in the `X-Request-Id` header.
 */
const SANE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export function genReqId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  if (typeof incoming === 'string' && SANE.test(incoming)) return incoming;
  return `req_${randomBytes(12).toString('base64url')}`;
}

export function registerRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
}

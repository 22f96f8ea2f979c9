import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from './api-errors.ts';

/**
 * Request bodies (docs/http-api.md "Request and response conventions"): JSON, where an empty body is no body (Wawp's samples
 * send `Content-Type: application/json` on every call), invalid UTF-8 or JSON is 400 invalid_parameter, and
 * prototype-poisoning keys are refused by Fastify's secure parser. Form bodies are accepted too (curl -d).
 */

export const BODY_LIMIT = 1024 * 1024;

/**
 * A body that cannot be parsed is not answered at once: the auth hook runs first and then throws it
 * (docs/http-api.md "Authentication": "a missing or wrong token is 401 even when other parameters are missing too").
 */
const deferredErrors = new WeakMap<FastifyRequest, Error>();

export function takeDeferredBodyError(request: FastifyRequest): Error | undefined {
  const err = deferredErrors.get(request);
  deferredErrors.delete(request);
  return err;
}

function defer(request: FastifyRequest, err: Error, done: (err: Error | null, body?: unknown) => void): void {
  deferredErrors.set(request, err);
  done(null, undefined);
}

/**
 * The bytes of each parsed body, for forwarding (src/http/forward/): a forwarded call carries the body as received,
 * and its signature covers those bytes. Requests without a body have none here.
 */
const rawBodies = new WeakMap<FastifyRequest, Buffer>();

export function rawBody(request: FastifyRequest): Buffer | undefined {
  return rawBodies.get(request);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decode(buffer: Buffer): string {
  try {
    return utf8.decode(buffer);
  } catch {
    throw errors.invalidParameter('body', { reason: 'invalid UTF-8' });
  }
}

export function registerBodyParsers(app: FastifyInstance): void {
  const secureJson = app.getDefaultJsonParser('error', 'error');

  app.removeContentTypeParser(['application/json', 'text/plain']);
  // Any JSON flavour: application/json, application/*+json.
  app.addContentTypeParser(
    /^application\/([\w.+-]+\+)?json$/i,
    { parseAs: 'buffer', bodyLimit: BODY_LIMIT },
    (request, body, done) => {
      rawBodies.set(request, body as Buffer);
      try {
        const text = decode(body as Buffer);
        if (text.trim() === '') return done(null, undefined);
        secureJson(request, text, (err, parsed) => {
          if (err) return defer(request, errors.invalidParameter('body', { reason: 'invalid JSON' }), done);
          done(null, parsed);
        });
      } catch (err) {
        defer(request, err as Error, done);
      }
    },
  );
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer', bodyLimit: BODY_LIMIT },
    (request, body, done) => {
      rawBodies.set(request, body as Buffer);
      try {
        const params = new URLSearchParams(decode(body as Buffer));
        const out: Record<string, string | string[]> = Object.create(null);
        for (const key of new Set(params.keys())) {
          const all = params.getAll(key);
          out[key] = all.length === 1 ? all[0] : all;
        }
        done(null, { ...out });
      } catch (err) {
        defer(request, err as Error, done);
      }
    },
  );
}

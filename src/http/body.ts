import type { FastifyInstance } from 'fastify';
import { errors } from './errors.ts';

/**
 * Request bodies (api.md "Request and response conventions"): JSON, where an empty body is no body (Wawp's samples
 * send `Content-Type: application/json` on every call), invalid UTF-8 or JSON is 400 invalid_parameter, and
 * prototype-poisoning keys are refused by Fastify's secure parser. Form bodies are accepted too (curl -d).
 */

export const BODY_LIMIT = 1024 * 1024;

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
      try {
        const text = decode(body as Buffer);
        if (text.trim() === '') return done(null, undefined);
        secureJson(request, text, (err, parsed) => {
          if (err) return done(errors.invalidParameter('body', { reason: 'invalid JSON' }), undefined);
          done(null, parsed);
        });
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer', bodyLimit: BODY_LIMIT },
    (_request, body, done) => {
      try {
        const params = new URLSearchParams(decode(body as Buffer));
        const out: Record<string, string | string[]> = Object.create(null);
        for (const key of new Set(params.keys())) {
          const all = params.getAll(key);
          out[key] = all.length === 1 ? all[0] : all;
        }
        done(null, { ...out });
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );
}

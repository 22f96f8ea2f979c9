import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ApiError, errorBody } from './api-errors.ts';
import { escapeXml, toXml } from './xml.ts';

/**
 * Content negotiation and renditions (docs/http-api.md "Body format by Accept"). Errors come in four renditions; success
 * bodies in JSON or XML (text/plain and text/html prefer-ers get JSON for success answers).
 */

export type Rendition = 'json' | 'xml' | 'text' | 'html';

interface Wanted {
  rendition: Rendition;
  /** The media type to answer with (XML keeps the flavour the client asked for). */
  mediaType: string;
}

const JSON_TYPE: Wanted = { rendition: 'json', mediaType: 'application/json' };

const BY_MEDIA_TYPE: Record<string, Wanted> = {
  'application/json': JSON_TYPE,
  'application/xml': { rendition: 'xml', mediaType: 'application/xml' },
  'text/xml': { rendition: 'xml', mediaType: 'text/xml' },
  'text/plain': { rendition: 'text', mediaType: 'text/plain' },
  'text/html': { rendition: 'html', mediaType: 'text/html' },
  'application/*': JSON_TYPE,
  '*/*': JSON_TYPE,
};

/**
 * First acceptable match wins: entries are taken in the order written, highest q first (stable), q=0 skipped.
 * Anything unparseable or unknown falls back to JSON.
 */
export function negotiate(accept: string | string[] | undefined): Wanted {
  if (typeof accept !== 'string' || accept.length === 0) return JSON_TYPE;
  // The common single-type headers (`*/*`, `application/json`) need no parsing: same answer as the general path.
  if (Object.hasOwn(BY_MEDIA_TYPE, accept)) return BY_MEDIA_TYPE[accept]!;
  const entries = accept
    .slice(0, 1024)
    .split(',')
    .map((part, index) => {
      const [type, ...params] = part.split(';');
      let q = 1;
      for (const p of params) {
        const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
        if (m) q = Number(m[1]);
      }
      return { type: type.trim().toLowerCase(), q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((e) => e.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const e of entries) {
    const wanted = BY_MEDIA_TYPE[e.type];
    if (wanted) return wanted;
  }
  return JSON_TYPE;
}

/** Plain text cannot carry structure: control characters (CR/LF included) become spaces so a line stays a line. */
function plain(text: string): string {
  return text.replace(/[\u0000-\u001F\u007F]/g, ' ');
}

export function escapeHtml(text: string): string {
  return escapeXml(text);
}

export function renderError(
  err: ApiError,
  requestId: string,
  accept: string | string[] | undefined,
): {
  contentType: string;
  payload: string;
} {
  const wanted = negotiate(accept);
  const body = errorBody(err, requestId);
  switch (wanted.rendition) {
    case 'xml':
      return { contentType: `${wanted.mediaType}; charset=utf-8`, payload: toXml('error', body) };
    case 'text':
      return {
        contentType: 'text/plain; charset=utf-8',
        payload: `${body.status} ${plain(body.code)}: ${plain(body.message)}`,
      };
    case 'html': {
      const title = escapeHtml(`${body.status} ${STATUS_CODES[body.status] ?? 'Error'}`);
      const page =
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
        `<title>${title}</title></head><body><h1>${title}</h1>` +
        `<p>${escapeHtml(body.message)}</p>` +
        `<p>Code: <code>${escapeHtml(body.code)}</code></p>` +
        `<p>Request ID: <code>${escapeHtml(body.request_id)}</code></p>` +
        '</body></html>\n';
      return { contentType: 'text/html; charset=utf-8', payload: page };
    }
    default:
      return { contentType: 'application/json; charset=utf-8', payload: JSON.stringify(body) };
  }
}

/** Sends an ApiError in the rendition the client asked for. */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: ApiError): FastifyReply {
  const { contentType, payload } = renderError(err, request.id, request.headers.accept);
  if (err.headers) reply.headers(err.headers);
  // Also set here: framework errors (bad URLs) skip the onRequest hook that normally sets it.
  reply.header('X-Request-Id', request.id);
  return reply.code(err.statusCode).type(contentType).send(payload);
}

/**
 * Success bodies in XML when the client prefers it. Routes name the root with `config.xmlRoot`; strings, buffers and
 * streams (pages, images) never reach preSerialization, and `xmlRoot: false` opts a route out.
 */
export function registerRenditions(app: FastifyInstance): void {
  // Callback style and cheapest checks first: most requests want JSON and leave with no promise and no negotiation.
  app.addHook('preSerialization', (request, reply, payload, done) => {
    const accept = request.headers.accept;
    if (accept === undefined || reply.statusCode >= 400) return done(null, payload);
    const wanted = negotiate(accept);
    if (wanted.rendition !== 'xml') return done(null, payload);
    const root = request.routeOptions.config?.xmlRoot;
    if (root === false) return done(null, payload);
    reply.type(`${wanted.mediaType}; charset=utf-8`);
    reply.serializer((body: unknown) => toXml(root ?? 'response', body));
    done(null, payload);
  });
}

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The dashboard: static HTML, CSS and ES modules from ./public, read once at registration and served from memory
 * under /dashboard with a strong ETag. The page is a client of the public API only (it holds an access token in
 * sessionStorage and sends it as the `access-token` header), so nothing here touches services.
 *
 * Each file is its own GET route, so any other /dashboard/* path falls through to the API's not-found handler and
 * answers the usual error model (404 not_found, 405 with Allow). The routes are hidden from the OpenAPI document:
 * it describes the Wawp API, not this page.
 */

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const PREFIX = '/dashboard';

/** No inline script or style anywhere; QR images arrive as blob: URLs; the page talks to its own origin only. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

export interface Asset {
  /** URL path under the origin, e.g. /dashboard/js/app.js. */
  path: string;
  type: string;
  body: Buffer;
  etag: string;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

const PRELOAD_MARKER = /<!-- modulepreload:[^>]*-->\n?/;

/**
 * The browser learns a module's imports only after fetching it: without hints the page loads in as many round trips
 * as the import graph is deep. index.html gets a modulepreload link per module instead, so all arrive at once.
 */
function withPreloads(html: Buffer, paths: string[]): Buffer {
  const links = paths.map((p) => `<link rel="modulepreload" href="${p}">\n`).join('');
  return Buffer.from(html.toString('utf8').replace(PRELOAD_MARKER, links), 'utf8');
}

/** Every servable file of public/ (unknown extensions are not served); index.html answers /dashboard itself. */
export function loadAssets(dir: string = PUBLIC_DIR): Asset[] {
  const files = walk(dir)
    .filter((file) => Object.hasOwn(TYPES, extname(file)))
    .sort()
    .map((file) => {
      const rel = relative(dir, file).split(sep).join('/');
      return { file, rel, path: rel === 'index.html' ? PREFIX : `${PREFIX}/${rel}` };
    });
  const modules = files.filter((f) => f.rel.endsWith('.js')).map((f) => f.path);
  return files.map(({ file, rel, path }) => {
    const raw = readFileSync(file);
    const body = rel === 'index.html' ? withPreloads(raw, modules) : raw;
    return {
      path,
      type: TYPES[extname(file)]!,
      body,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    };
  });
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*');
}

function serve(asset: Asset) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    reply.headers(SECURITY_HEADERS);
    // Revalidate every time: a new gateway version must not run against an old page.
    reply.header('cache-control', 'no-cache');
    reply.header('etag', asset.etag);
    if (etagMatches(request.headers['if-none-match'], asset.etag)) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  };
}

export function dashboardRoutes(assets: Asset[] = loadAssets()): FastifyPluginAsync {
  return async (app) => {
    for (const asset of assets) {
      app.get(asset.path, { config: { auth: 'none', xmlRoot: false }, schema: { hide: true } }, serve(asset));
    }
  };
}

import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  HTTPMethods,
  RouteOptions,
} from 'fastify';
import { Type } from '@sinclair/typebox';
import { errors } from '../api-errors.ts';
import { errorResponses } from '../schemas.ts';
import { MISSING_ROUTES, V1_ALIASES, V1_PREFIX, type V1Alias } from '../wawp-catalogue.ts';

/**
 * Wawp compatibility surface from the catalogue (wawp-catalogue.ts):
 * - the v1 paths (`/wp-json/awp/v1/…`) the n8n node and the WordPress plugin call, served by the SAME route options
 *   (handler, schema, auth, hooks) as their v2 routes, registered again under the v1 URL;
 * - the WordPress plugin's `GET status` ("Online" or not), a view of /v2/session/info;
 * - every Wawp route we do not build: 501 not_implemented naming it, in every rendition, listed in the OpenAPI;
 * - `GET /api/docs/raw`, the endpoint catalogue Wawp's MCP server reads, built from the OpenAPI document.
 */

type Recorded = Map<string, RouteOptions>;
const key = (method: string, url: string) => `${method} ${url}`;

/**
 * Remembers every route's final options (after auth and the other onRoute hooks filled them in), so the v1 aliases
 * reuse them. Call after registerAuth, before any route is registered.
 */
export function recordRoutes(app: FastifyInstance): Recorded {
  const recorded: Recorded = new Map();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      recorded.set(key(method, route.url ?? route.path), route as RouteOptions);
  });
  return recorded;
}

function methodsOf(recorded: Recorded, url: string): HTTPMethods[] {
  return (
    [...recorded.values()]
      .filter((r) => (r.url ?? '') === url)
      .flatMap((r) => [r.method].flat())
      // Fastify adds HEAD to every GET route by itself (the alias's GET gets one too).
      .filter((m, i, all) => m !== 'HEAD' && all.indexOf(m) === i) as HTTPMethods[]
  );
}

/** camelCase id from method and path: GET /wp-json/awp/v1/session/info → getWpJsonAwpV1SessionInfo. */
export function operationIdFor(method: string, url: string): string {
  const words = `${method} ${url}`
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
  return words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
}

function v1Schema(original: RouteOptions, alias: V1Alias, method: string): RouteOptions['schema'] {
  const schema = original.schema ?? {};
  const summary = (schema as { summary?: string }).summary;
  return {
    ...schema,
    tags: ['wawp v1'],
    summary: `${summary ?? alias.v2} (Wawp v1 path of ${alias.v2})`,
    operationId: operationIdFor(method, `${V1_PREFIX}${alias.v1}`),
  };
}

/** getQr: `format=raw` is /v2/auth/qr, anything else /v2/auth/qr-image (as the n8n node's two QR operations use it). */
function dispatchByFormat(raw: RouteOptions, image: RouteOptions): RouteOptions['handler'] {
  return function handler(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    const format = (request.query as { format?: unknown } | undefined)?.format;
    return (format === 'raw' ? raw : image).handler.call(this, request, reply);
  };
}

function registerAliases(app: FastifyInstance, recorded: Recorded): void {
  for (const alias of V1_ALIASES) {
    for (const method of methodsOf(recorded, alias.v2)) {
      const original = recorded.get(key(method, alias.v2))!;
      const raw = alias.rawFormat ? recorded.get(key(method, alias.rawFormat)) : undefined;
      const base = raw ?? original;
      app.route({
        ...base,
        url: `${V1_PREFIX}${alias.v1}`,
        method,
        schema: v1Schema(base, alias, method),
        handler: raw ? dispatchByFormat(raw, original) : original.handler,
      });
    }
  }
}

/**
 * The WordPress plugin adds an instance only when `GET status` answers 200 with `status` "Online" (compared without
 * case); it reads nothing else. A view of /v2/session/info, which authenticates and loads the instance.
 */
function registerWordPressStatus(app: FastifyInstance, recorded: Recorded): void {
  const info = recorded.get(key('GET', '/v2/session/info'));
  if (!info) return;
  const url = `${V1_PREFIX}/status`;
  app.route({
    ...info,
    url,
    method: 'GET',
    schema: {
      ...info.schema,
      tags: ['wawp v1'],
      summary: 'Online or Offline (Wawp v1 path read by the WordPress plugin), from /v2/session/info',
      operationId: operationIdFor('GET', url),
      response: {
        200: Type.Object({
          instance_id: Type.String(),
          status: Type.Union([Type.Literal('Online'), Type.Literal('Offline')]),
          session_status: Type.String({ description: 'The /v2/session/info status' }),
        }),
        ...errorResponses(400, 401, 404),
      },
    },
    async handler(request, reply) {
      const answer = (await info.handler.call(this, request, reply)) as { instance_id: string; status: string };
      return {
        instance_id: answer.instance_id,
        status: answer.status === 'WORKING' ? 'Online' : 'Offline',
        session_status: answer.status,
      };
    },
  });
}

function registerNotImplemented(app: FastifyInstance, recorded: Recorded): void {
  for (const route of MISSING_ROUTES) {
    for (const method of route.methods) {
      if (recorded.has(key(method, route.path))) continue; // built since the catalogue was written
      app.route({
        method,
        url: route.path,
        config: { auth: 'none' },
        schema: {
          tags: ['not implemented'],
          summary: `Wawp ${route.category} route, not implemented here: 501 not_implemented`,
          operationId: operationIdFor(method, route.path),
          response: errorResponses(501),
        },
        handler: async () => {
          throw errors.notImplemented(method, route.path.replace(/:(\w+)/g, '{$1}'));
        },
      });
    }
  }
}

interface OpenApiDoc {
  paths?: Record<string, Record<string, { summary?: string; tags?: string[] }>>;
}

/** Wawp's MCP server lists `endpoints[]` with `path`, `title`, `category`: every documented, implemented operation. */
function endpointCatalogue(doc: OpenApiDoc): Array<{ path: string; method: string; title: string; category: string }> {
  const out: Array<{ path: string; method: string; title: string; category: string }> = [];
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(operations)) {
      const category = op.tags?.[0] ?? 'other';
      if (category === 'not implemented') continue;
      out.push({ path, method: method.toUpperCase(), title: op.summary ?? path, category });
    }
  }
  return out;
}

export function wawpCompatRoutes(recorded: Recorded): FastifyPluginAsync {
  return async (app) => {
    registerAliases(app, recorded);
    registerWordPressStatus(app, recorded);
    registerNotImplemented(app, recorded);
    app.get(
      '/api/docs/raw',
      {
        config: { auth: 'none', xmlRoot: 'catalogue' },
        schema: {
          tags: ['docs'],
          summary: 'Endpoint catalogue (path, title, category) built from the OpenAPI document, as Wawp serves it',
          operationId: 'getApiDocsRaw',
          response: {
            200: Type.Object({
              endpoints: Type.Array(
                Type.Object({
                  path: Type.String(),
                  method: Type.String(),
                  title: Type.String(),
                  category: Type.String(),
                }),
              ),
            }),
          },
        },
      },
      async () => ({ endpoints: endpointCatalogue(app.swagger() as OpenApiDoc) }),
    );
  };
}

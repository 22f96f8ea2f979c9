import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ErrorSchema, errorResponses } from './schemas.ts';
import { operationIdFor } from './routes/wawp-compat.ts';

/**
 * OpenAPI 3.1 from the route schemas (@fastify/swagger) at /openapi.json, and its page at /docs. The Swagger UI
 * assets are served from the installed package (no CDN), so the page works offline and under a strict CSP.
 * Register before the routes: @fastify/swagger collects routes as they are added.
 */
/** Wawp routes (access-token auth) take their parameters from the query or the body (wawp-params.ts). */
function isWawpRoute(route: RouteOptions): boolean {
  const auth = route.config?.auth;
  return auth === 'instance' || auth === 'account';
}

interface ObjectSchema {
  type?: string;
  properties?: Record<string, unknown>;
  required?: string[];
  'x-require-one-of'?: string[];
}

/**
 * A Wawp route's parameters, documented where a client may put them: as query parameters (none required there,
 * since each may come in the body instead) and, for methods with a body, as a JSON or form body with the required
 * ones (and "one of message or text" as anyOf). Routes that still declare their own body keep it.
 */
function wawpParameters(schema: FastifySchema, method: string): FastifySchema {
  const query = schema.querystring as ObjectSchema | undefined;
  if (!query?.properties) return schema;
  const { required, 'x-require-one-of': oneOf, ...rest } = query;
  const out: FastifySchema = { ...schema, querystring: { ...rest } };
  if (method !== 'GET' && method !== 'HEAD' && !schema.body) {
    out.body = {
      ...rest,
      ...(required?.length ? { required } : {}),
      ...(oneOf ? { anyOf: oneOf.map((name) => ({ required: [name] })) } : {}),
      description: 'The same parameters as the query string (either place works; the query wins)',
    };
    out.consumes = ['application/json', 'application/x-www-form-urlencoded'];
  }
  return out;
}

export function registerOpenApi(app: FastifyInstance, version: string): void {
  app.addSchema(ErrorSchema);
  // Every operation has an id (clients generated from the document need one): method + path unless a route names it.
  app.addHook('onRoute', (route) => {
    const schema = route.schema as (FastifySchema & { operationId?: string }) | undefined;
    if (schema && !schema.operationId) {
      const method = [route.method].flat()[0] ?? 'get';
      route.schema = { ...schema, operationId: operationIdFor(method, route.url ?? route.path) } as FastifySchema;
    }
  });
  // Documentation routes answer their own formats: never XML, never auth.
  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    if (url === '/docs' || url.startsWith('/docs/') || url === '/openapi.json') {
      route.config = { ...(route.config ?? {}), auth: 'none', xmlRoot: false };
    }
  });
  app.register(swagger, {
    // Shared schemas keep their $id as component name ("Error", not "def-0").
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transform: ({ schema, url, route }) => {
      let out = schema && isWawpRoute(route as RouteOptions) ? wawpParameters(schema, String(route.method)) : schema;
      if (out && url.includes(':')) out = withLongIdStatus(out);
      if (out && (route as RouteOptions).config?.auth === 'instance') out = withClusterStatuses(out);
      return { schema: out, url };
    },
    transformObject: (documentObject) => {
      const doc = (documentObject as { openapiObject: OpenApiDocument }).openapiObject;
      return renditions(optionalWawpBodies(doc)) as never;
    },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Switchboard',
        version,
        description:
          'Self-hosted WhatsApp HTTP API, wire-compatible with Wawp API v2. Wawp routes take `access_token` and ' +
          '`instance_id` as query parameters, in a JSON body, or as headers (`access-token`, `Authorization: Bearer` + ' +
          '`X-Instance-ID`). Errors: `{status, code, message, request_id, details?}`; every answer honours ' +
          '`Accept: application/xml`.',
      },
      components: {
        securitySchemes: {
          accessTokenQuery: { type: 'apiKey', in: 'query', name: 'access_token' },
          accessTokenHeader: { type: 'apiKey', in: 'header', name: 'access-token' },
          bearer: { type: 'http', scheme: 'bearer', description: 'Access token; instance in X-Instance-ID' },
          adminBearer: { type: 'http', scheme: 'bearer', description: 'Admin token (/admin/*, /sandbox/*)' },
        },
      },
    },
  });
  app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

interface OpenApiDocument {
  paths?: Record<
    string,
    Record<string, { requestBody?: { required?: boolean; content?: Record<string, unknown> }; tags?: string[] }>
  >;
}

/** A Wawp body is optional (the parameters may all be in the query); @fastify/swagger marks every body required. */
function optionalWawpBodies(doc: OpenApiDocument): OpenApiDocument {
  for (const operations of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(operations)) {
      if (op.requestBody?.content?.['application/x-www-form-urlencoded']) op.requestBody.required = false;
    }
  }
  return doc;
}

/** A path id longer than the router takes (200 characters) is 400 invalid_parameter on every route with one. */
function withLongIdStatus(schema: FastifySchema): FastifySchema {
  const response = (schema.response ?? {}) as Record<string, unknown>;
  return response['400'] || response[400] ? schema : { ...schema, response: { ...response, ...errorResponses(400) } };
}

/**
 * Several nodes (docs/multi-node.md "Forwarding"): any instance route may answer 503 owner_unavailable (the node
 * running the instance cannot take the call now) and 403 forward_refused (a call claiming to be forwarded by another
 * node whose signature does not verify).
 */
function withClusterStatuses(schema: FastifySchema): FastifySchema {
  const response = (schema.response ?? {}) as Record<string, unknown>;
  return { ...schema, response: { ...errorResponses(403, 503), ...response } };
}

type Content = Record<string, { schema?: unknown }>;

/**
 * The renditions every answer really has (docs/http-api.md "Errors"): JSON answers also as XML (application/xml,
 * text/xml) by Accept, and errors also as text/plain and text/html.
 */
function renditions(doc: OpenApiDocument): OpenApiDocument {
  const text = { schema: { type: 'string' } };
  for (const operations of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(operations) as Array<{ responses?: Record<string, { content?: Content }> }>) {
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        const content = response.content;
        if (!content?.['application/json']) continue;
        content['application/xml'] ??= { schema: { type: 'string', description: 'The same answer as XML' } };
        content['text/xml'] ??= content['application/xml'];
        if (Number(status) >= 400) {
          content['text/plain'] ??= text;
          content['text/html'] ??= text;
        }
      }
    }
  }
  return doc;
}

import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ErrorSchema } from './schemas.ts';

/**
 * OpenAPI 3.1 from the route schemas (@fastify/swagger) at /openapi.json, and its page at /docs. The Swagger UI
 * assets are served from the installed package (no CDN), so the page works offline and under a strict CSP.
 * Register before the routes: @fastify/swagger collects routes as they are added.
 */
export function registerOpenApi(app: FastifyInstance, version: string): void {
  app.addSchema(ErrorSchema);
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

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { GatewayMetrics } from '../../metrics/index.ts';
import { errorResponses, SECURITY } from '../schemas.ts';

/** GET /metrics: Prometheus text format (admin token: counts span every account). */
export function metricsRoutes(metrics: GatewayMetrics): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/metrics',
      {
        config: { auth: 'admin', xmlRoot: false },
        schema: {
          tags: ['extensions'],
          summary: 'Prometheus metrics (process, instances by status, events by name)',
          security: SECURITY.admin,
          response: {
            200: {
              description: 'Prometheus text exposition format',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
            ...errorResponses(401),
          },
        },
      },
      async (_request, reply) => {
        const body = await metrics.registry.metrics();
        return reply.type(metrics.registry.contentType).send(body);
      },
    );
  };
}

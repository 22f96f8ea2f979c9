import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

/** GET /health: liveness plus what this node runs (no auth). */
export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      config: { auth: 'none', xmlRoot: 'health' },
      schema: {
        tags: ['extensions'],
        summary: 'Liveness',
        response: {
          200: Type.Object({
            status: Type.Literal('ok'),
            version: Type.String(),
            sandbox: Type.Boolean(),
            store: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
          }),
        },
      },
    },
    async () => {
      const { version, sandbox, store } = app.services;
      return { status: 'ok' as const, version, sandbox, store: store.kind };
    },
  );
};

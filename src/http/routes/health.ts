import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

export interface HealthDeps {
  version: string;
  sandbox: boolean;
  storeKind: 'sqlite' | 'postgres';
}

/** GET /health: liveness plus what this node runs (no auth). */
export const healthRoutes =
  ({ version, sandbox, storeKind }: HealthDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
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
      async () => ({ status: 'ok' as const, version, sandbox, store: storeKind }),
    );
  };

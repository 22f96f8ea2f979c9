import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { negotiate } from '../renditions.ts';

export interface HealthDeps {
  version: string;
  sandbox: boolean;
  storeKind: 'sqlite' | 'postgres';
  /** The node that answers (docs/http-api.md "/health"). */
  nodeId: string;
}

/** GET /health: liveness plus what this node runs (no auth). */
export const healthRoutes =
  ({ version, sandbox, storeKind, nodeId }: HealthDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const body = Object.freeze({ status: 'ok' as const, version, sandbox, store: storeKind, node: nodeId });
    // The JSON bytes are made once: a load balancer may call this thousands of times a second.
    const json = JSON.stringify(body);
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
              node: Type.String({
                description:
                  'The node that answered: its cluster id on PostgreSQL (SWITCHBOARD_NODE_ID, else <host>:<port>), ' +
                  'SWITCHBOARD_NODE_ID or `single` on one node',
              }),
            }),
          },
        },
      },
      // Not async (no promise per request). XML prefer-ers get the object, rendered by the renditions hook.
      (request: FastifyRequest, reply: FastifyReply) => {
        if (negotiate(request.headers.accept).rendition === 'xml') reply.send(body);
        else reply.type('application/json; charset=utf-8').send(json);
      },
    );
  };

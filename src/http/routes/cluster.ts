import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ClusterMember } from '../../cluster/index.ts';
import { errorResponses, Nullable, SECURITY } from '../schemas.ts';

const NodeSchema = Type.Object({
  node_id: Type.String(),
  address: Nullable(Type.String({ description: 'Where other nodes reach it (SWITCHBOARD_NODE_ADDRESS)' })),
  started_at: Type.String(),
  last_heartbeat_at: Type.String(),
  live: Type.Boolean({ description: 'Heartbeat not expired and not left' }),
  left_at: Nullable(Type.String({ description: 'When it left gracefully' })),
  instances: Type.Integer({ description: 'Instance leases it holds now' }),
  self: Type.Boolean({ description: 'The node that answered' }),
});

/** GET /admin/nodes (docs/multi-node.md): the nodes of a PostgreSQL cluster, from the database (admin token). */
export function clusterRoutes(member: ClusterMember): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/admin/nodes',
      {
        config: { auth: 'admin', xmlRoot: 'nodes' },
        schema: {
          tags: ['extensions'],
          summary: 'Nodes sharing this database: heartbeat, address and instances owned',
          security: SECURITY.admin,
          response: { 200: Type.Object({ nodes: Type.Array(NodeSchema) }), ...errorResponses(401) },
        },
      },
      async () => ({
        nodes: (await member.nodes()).map((n) => ({
          node_id: n.id,
          address: n.address,
          started_at: n.startedAt,
          last_heartbeat_at: n.heartbeatAt,
          live: n.live,
          left_at: n.leftAt,
          instances: n.instances,
          self: n.id === member.node.nodeId,
        })),
      }),
    );
  };
}

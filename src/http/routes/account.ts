import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { PLATFORMS } from '../../identity/index.ts';
import { SESSION_STATUSES } from '../../domain/index.ts';
import type { InstanceRegistry } from '../../tenancy/index.ts';
import { requestAccount } from '../auth.ts';
import { accountQuery, errorResponses, MeSummarySchema, Nullable, SECURITY, SessionStatusSchema } from '../schemas.ts';

/** /v2/account/*: account-wide views (any access token of the account). */

const counts = (keys: readonly string[]) => Type.Object(Object.fromEntries(keys.map((k) => [k, Type.Integer()])));
const common = { tags: ['account'], security: SECURITY.instance };

export const accountRoutes =
  (registry: InstanceRegistry): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/v2/account/instances',
      {
        config: { auth: 'account', xmlRoot: 'instances' },
        schema: {
          ...common,
          summary: "The account's instances with status and identity",
          querystring: accountQuery(),
          response: {
            200: Type.Array(
              Type.Object({
                instance_id: Type.String(),
                name: Type.String(),
                status: SessionStatusSchema,
                reason: Type.String(),
                updatedAt: Type.String(),
                createdAt: Type.String(),
                me: MeSummarySchema,
                platform: Nullable(Type.String({ enum: [...PLATFORMS] })),
              }),
            ),
            ...errorResponses(401),
          },
        },
      },
      async (request) => registry.summaries(requestAccount(request).id),
    );

    app.get(
      '/v2/account/stats',
      {
        config: { auth: 'account', xmlRoot: 'stats' },
        schema: {
          ...common,
          summary: 'Instance counts by status, and by platform (WORKING only); max_instances is the quota',
          querystring: accountQuery(),
          response: {
            200: Type.Object({
              total: Type.Integer(),
              by_status: counts(SESSION_STATUSES),
              by_platform: counts(PLATFORMS),
              max_instances: Type.Integer({
                description: 'The account quota (create answers 403 quota_reached beyond it)',
              }),
            }),
            ...errorResponses(401),
          },
        },
      },
      async (request) => {
        const account = requestAccount(request);
        return { ...(await registry.stats(account.id)), max_instances: account.maxInstances };
      },
    );
  };

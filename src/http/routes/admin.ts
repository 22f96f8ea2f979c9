import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  createAccountWithToken,
  DEFAULT_MAX_INSTANCES,
  issueToken,
  type InstanceRegistry,
} from '../../tenancy/index.ts';
import type { AccountStore, TokenStore, Transactional } from '../../store/index.ts';
import { errors } from '../api-errors.ts';
import { errorResponses, SECURITY } from '../schemas.ts';

/** /admin/*: accounts and their access tokens (admin token; auth.ts applies it by path). */

const AccountSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  max_instances: Type.Integer(),
  created_at: Type.String(),
});

const common = { tags: ['admin'], security: SECURITY.admin };

export const adminRoutes =
  (store: AccountStore & TokenStore & Transactional, registry: InstanceRegistry): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/admin/accounts',
      {
        config: { auth: 'admin', xmlRoot: 'account' },
        schema: {
          ...common,
          summary: 'Create an account and its first access token (shown once)',
          body: Type.Object({
            name: Type.String({ minLength: 1, maxLength: 200 }),
            max_instances: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000, default: DEFAULT_MAX_INSTANCES })),
          }),
          response: {
            201: Type.Object({
              id: Type.String(),
              name: Type.String(),
              max_instances: Type.Integer(),
              access_token: Type.String(),
            }),
            ...errorResponses(400, 401),
          },
        },
      },
      async (request, reply) => {
        const { name, max_instances } = request.body;
        const created = await createAccountWithToken(store, { name, maxInstances: max_instances });
        reply.code(201);
        return {
          id: created.account.id,
          name: created.account.name,
          max_instances: created.account.maxInstances,
          access_token: created.accessToken,
        };
      },
    );

    app.get(
      '/admin/accounts',
      {
        config: { auth: 'admin', xmlRoot: 'accounts' },
        schema: {
          ...common,
          summary: 'List accounts (no tokens)',
          response: { 200: Type.Array(AccountSchema), ...errorResponses(401) },
        },
      },
      async () =>
        (await store.listAccounts()).map((a) => ({
          id: a.id,
          name: a.name,
          max_instances: a.maxInstances,
          created_at: a.createdAt,
        })),
    );

    app.post(
      '/admin/accounts/:id/tokens',
      {
        config: { auth: 'admin', xmlRoot: 'token' },
        schema: {
          ...common,
          summary: 'Issue another access token for an account (shown once)',
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          response: {
            201: Type.Object({ token_id: Type.String(), access_token: Type.String() }),
            ...errorResponses(401, 404),
          },
        },
      },
      async (request, reply) => {
        const issued = await issueToken(store, request.params.id);
        if (!issued) throw errors.notFound({ resource: 'account' });
        reply.code(201);
        return { token_id: issued.tokenId, access_token: issued.accessToken };
      },
    );

    app.delete(
      '/admin/accounts/:id',
      {
        config: { auth: 'admin' },
        schema: {
          ...common,
          summary:
            'Delete an account: its instances (sessions stopped, credentials wiped), tokens, webhooks; its live streams end',
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(401, 404) },
        },
      },
      async (request, reply) => {
        const account = await store.getAccount(request.params.id);
        if (!account) throw errors.notFound({ resource: 'account' });
        await registry.deleteAll(account.id);
        if (!(await store.deleteAccount(account.id))) throw errors.notFound({ resource: 'account' });
        return reply.code(204).send(null);
      },
    );

    app.delete(
      '/admin/tokens/:token_id',
      {
        config: { auth: 'admin' },
        schema: {
          ...common,
          summary: 'Revoke an access token; it stops working at once',
          params: Type.Object({ token_id: Type.String({ maxLength: 100 }) }),
          response: { 204: Type.Null({ description: 'Revoked' }), ...errorResponses(401, 404) },
        },
      },
      async (request, reply) => {
        if (!(await store.revokeToken(request.params.token_id))) throw errors.notFound({ resource: 'token' });
        return reply.code(204).send(null);
      },
    );
  };

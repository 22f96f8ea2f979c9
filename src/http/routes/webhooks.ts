import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { type Scope, type WebhookInput, type WebhookService, deliveryView } from '../../webhooks/index.ts';
import type { InstanceRegistry } from '../../tenancy/index.ts';
import { DELIVERY_STATUSES } from '../../store/index.ts';
import { requestAccount, requestInstance } from '../auth.ts';
import { errors } from '../api-errors.ts';
import { routeMethods } from '../routing.ts';
import { accountQuery, errorResponses, instanceBody, instanceQuery, Nullable, SECURITY } from '../schemas.ts';

/**
 * Webhook subscriptions (per instance: /v2/session/webhook, Wawp's route; per account: /v2/account/webhook) and the
 * delivery log with replay (/v2/webhooks/*). Everything is scoped to the caller's account: another account's
 * instance is 404 invalid_instance, another account's delivery 404 not_found.
 */

export const WebhookInputSchema = Type.Object({
  url: Type.String({
    minLength: 1,
    maxLength: 2048,
    description: 'http(s) URL; private and loopback addresses are refused',
  }),
  events: Type.Optional(
    Type.Array(Type.String({ maxLength: 64 }), {
      maxItems: 50,
      description: 'Event names, or ["*"] (default) for all',
    }),
  ),
  is_active: Type.Optional(Type.Boolean({ default: true })),
  secret: Type.Optional(
    Type.String({ minLength: 16, maxLength: 256, description: 'Signing secret; generated when omitted' }),
  ),
});
export const WebhookListInput = Type.Array(WebhookInputSchema, { maxItems: 20 });

const WebhookView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  is_active: Type.Boolean(),
  created_at: Type.String(),
  secret: Type.Optional(
    Type.String({ description: 'Only in the answer that created it: keep it, it is not shown again' }),
  ),
});
const WebhooksAnswer = Type.Object({ webhooks: Type.Array(WebhookView) });

const DeliverySchema = Type.Object({
  id: Type.String(),
  event_id: Type.String(),
  event: Type.String(),
  url: Type.String(),
  status: Type.Union(DELIVERY_STATUSES.map((s) => Type.Literal(s))),
  attempts: Type.Integer(),
  last_error: Nullable(Type.String({ description: 'At most 1 KB' })),
  next_attempt_at: Nullable(Type.String()),
  delivered_at: Nullable(Type.String()),
  instance_id: Type.String(),
  subscription_id: Type.String(),
  response_code: Nullable(Type.Integer()),
  created_at: Type.String(),
});

const TIME = 'ISO-8601 time, or unix time in milliseconds';

/** ISO-8601 or unix milliseconds → ISO; throws 400 naming the parameter. */
export function parseTime(raw: unknown, parameter: string): string {
  const text = String(raw).trim();
  const ms = /^\d{1,16}$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) throw errors.invalidParameter(parameter);
  return new Date(ms).toISOString();
}

export function webhookRoutes(webhooks: WebhookService, registry: InstanceRegistry): FastifyPluginAsyncTypebox {
  return async (app) => {
    /** GET lists; POST (whose body the validator made at least `{}`) replaces. */
    const setOrGet = async (method: string, input: WebhookInput[] | undefined, scope: Scope) => {
      if (method === 'GET') return { webhooks: await webhooks.list(scope) };
      if (input === undefined) throw errors.missingParameter('webhooks');
      return { webhooks: await webhooks.replace(scope, await webhooks.prepare(input)) };
    };

    routeMethods(app, ['GET', 'POST'], {
      url: '/v2/session/webhook',
      config: { auth: 'instance', xmlRoot: 'webhook' },
      schema: {
        tags: ['webhooks'],
        security: SECURITY.instance,
        summary: "The instance's webhooks; POST replaces them (matched by URL; new ones get a secret, shown once)",
        querystring: instanceQuery(),
        body: instanceBody({ webhooks: Type.Optional(WebhookListInput) }),
        response: { 200: WebhooksAnswer, ...errorResponses(400, 401, 404) },
      },
      handler: async (request) => {
        const instance = requestInstance(request);
        return setOrGet(request.method, request.body?.webhooks, {
          accountId: instance.accountId,
          instanceId: instance.id,
        });
      },
    });

    routeMethods(app, ['GET', 'POST'], {
      url: '/v2/account/webhook',
      config: { auth: 'account', xmlRoot: 'webhook' },
      schema: {
        tags: ['webhooks'],
        security: SECURITY.instance,
        summary: 'Account-wide webhooks (every instance of the account); same shape as /v2/session/webhook',
        querystring: accountQuery(),
        body: Type.Object({ access_token: Type.Optional(Type.String()), webhooks: Type.Optional(WebhookListInput) }),
        response: { 200: WebhooksAnswer, ...errorResponses(400, 401) },
      },
      handler: async (request) =>
        setOrGet(request.method, request.body?.webhooks, { accountId: requestAccount(request).id, instanceId: null }),
    });

    app.get(
      '/v2/webhooks/deliveries',
      {
        config: { auth: 'account', xmlRoot: 'deliveries' },
        schema: {
          tags: ['webhooks'],
          security: SECURITY.instance,
          summary: 'Webhook deliveries, newest first',
          querystring: accountQuery({
            instance_id: Type.Optional(Type.String()),
            status: Type.Optional(Type.Union(DELIVERY_STATUSES.map((s) => Type.Literal(s)))),
            since: Type.Optional(Type.String({ description: `Created at or after (${TIME})` })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          }),
          response: { 200: Type.Array(DeliverySchema), ...errorResponses(400, 401, 404) },
        },
      },
      async (request) => {
        const account = requestAccount(request);
        const q = request.query;
        if (q.instance_id !== undefined && !(await registry.getForAccount(account.id, q.instance_id))) {
          throw errors.invalidInstance();
        }
        return webhooks.deliveries({
          accountId: account.id,
          instanceId: q.instance_id,
          status: q.status,
          since: q.since === undefined ? undefined : parseTime(q.since, 'since'),
          limit: q.limit ?? 100,
        });
      },
    );

    app.post(
      '/v2/webhooks/deliveries/:id/redeliver',
      {
        config: { auth: 'account', xmlRoot: 'redelivery' },
        schema: {
          tags: ['webhooks'],
          security: SECURITY.instance,
          summary: 'Queue one delivery again (same event id, new signature)',
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          querystring: accountQuery(),
          response: {
            202: Type.Object({ queued: Type.Integer(), delivery: DeliverySchema }),
            ...errorResponses(401, 404),
          },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const account = requestAccount(request);
        const found = await webhooks.delivery(account.id, id);
        if (!found || !(await webhooks.redeliver(found.id))) throw errors.notFound({ resource: 'delivery' });
        reply.code(202);
        return { queued: 1, delivery: deliveryView((await webhooks.delivery(account.id, id)) ?? found) };
      },
    );

    app.post(
      '/v2/webhooks/redeliver',
      {
        config: { auth: 'account', xmlRoot: 'redelivery' },
        schema: {
          tags: ['webhooks'],
          security: SECURITY.instance,
          summary: 'Queue every event of a time window again, to every active matching webhook',
          querystring: accountQuery(),
          body: Type.Object({
            access_token: Type.Optional(Type.String()),
            instance_id: Type.Optional(Type.String()),
            since: Type.Union([Type.String(), Type.Integer()], { description: TIME }),
            until: Type.Optional(Type.Union([Type.String(), Type.Integer()], { description: `${TIME}; default now` })),
          }),
          response: { 202: Type.Object({ queued: Type.Integer() }), ...errorResponses(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const account = requestAccount(request);
        const body = request.body;
        if (body.instance_id !== undefined && !(await registry.getForAccount(account.id, body.instance_id))) {
          throw errors.invalidInstance();
        }
        const since = parseTime(body.since, 'since');
        const until = body.until === undefined ? new Date().toISOString() : parseTime(body.until, 'until');
        if (until < since) throw errors.invalidParameter('until');
        const queued = await webhooks.redeliverRange({
          accountId: account.id,
          instanceId: body.instance_id,
          since,
          until,
        });
        reply.code(202);
        return { queued };
      },
    );
  };
}

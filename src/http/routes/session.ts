import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { type InstanceRegistry, normalizePhone } from '../../tenancy/index.ts';
import type { WebhookService } from '../../webhooks/index.ts';
import { requestAccount, requestInstance } from '../auth.ts';
import { errors } from '../api-errors.ts';
import { routeMethods } from '../routing.ts';
import { WebhookListInput } from './webhooks.ts';
import {
  errorResponses,
  instanceBody,
  instanceQuery,
  accountQuery,
  MeSummarySchema,
  Nullable,
  SECURITY,
  SessionStatusSchema,
} from '../schemas.ts';

/** /v2/session/create, /info, /delete, /config: the instance records themselves (lifecycle lives elsewhere). */

const NameSchema = Type.String({ minLength: 1, maxLength: 100 });
const PhoneSchema = Nullable(
  Type.String({
    maxLength: 32,
    description:
      'Intent verification: the number this instance must link. With its country code; every non-digit (+, spaces, ' +
      'dashes, dots, parentheses) is stripped and the digits (6–15) are compared exactly with the linked number, ' +
      'nothing guessed (no trunk 0 or 00 prefix removal). Another number linking is unlinked at once: STOPPED / ' +
      'identity_mismatch and a session.identity_mismatch event {expected, actual}. null clears.',
  }),
);
const SignatureSchema = Nullable(
  Type.String({ maxLength: 1024, description: 'Appended to outbound texts; {{pushName}}, {{phone}}' }),
);

const ConfigSchema = Type.Object({
  instance_id: Type.String(),
  name: Type.String(),
  expected_phone: Nullable(Type.String()),
  signature: Nullable(Type.String()),
});

const common = { tags: ['session'], security: SECURITY.instance };

/** undefined stays undefined (not given), null clears, anything else must normalise to 6–15 digits. */
function phone(raw: string | null | undefined): string | null | undefined {
  if (raw === undefined || raw === null) return raw;
  const digits = normalizePhone(raw);
  if (digits === null)
    throw errors.invalidParameter(
      'expected_phone',
      undefined,
      'expected_phone must be a phone number with its country code (6 to 15 digits)',
    );
  return digits;
}

export interface SessionRouteDeps {
  registry: InstanceRegistry;
  /** `server_name` of /v2/session/create. */
  serverName: string;
  /** Lets /v2/session/create take `webhooks`; absent in apps built without them. */
  webhooks?: WebhookService;
}

export const sessionRoutes =
  ({ registry, serverName, webhooks }: SessionRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/v2/session/create',
      {
        config: { auth: 'account', xmlRoot: 'session' },
        schema: {
          ...common,
          summary: 'Create an instance (STOPPED)',
          querystring: accountQuery(),
          body: Type.Object(
            {
              access_token: Type.Optional(Type.String()),
              name: Type.Optional(NameSchema),
              expected_phone: Type.Optional(PhoneSchema),
              signature: Type.Optional(SignatureSchema),
              webhooks: Type.Optional(WebhookListInput),
            },
            {
              examples: [
                { name: 'support-desk', expected_phone: '201012345678', signature: '\n\nSent by: {{pushName}}' },
              ],
            },
          ),
          response: {
            201: Type.Object(
              {
                instance_id: Type.String(),
                session_name: Type.String(),
                server_name: Type.String(),
                status: Type.Literal('STOPPED'),
                webhooks: Type.Optional(
                  Type.Array(Type.Object({}, { additionalProperties: true }), {
                    description: 'When webhooks were given: as /v2/session/webhook answers them (secrets shown once)',
                  }),
                ),
              },
              {
                examples: [
                  {
                    instance_id: 'A1b2C3d4E5f6',
                    session_name: 'support-desk',
                    server_name: 'gateway-1',
                    status: 'STOPPED',
                  },
                ],
              },
            ),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const expectedPhone = phone(body.expected_phone);
        // Checked (URLs resolved) before the instance exists, so a bad URL creates nothing.
        const hooks = webhooks && body.webhooks ? await webhooks.prepare(body.webhooks) : null;
        const instance = await registry.create(requestAccount(request), {
          name: body.name,
          expectedPhone: expectedPhone ?? null,
          signature: body.signature ?? null,
        });
        const created =
          hooks && webhooks
            ? await webhooks.replace({ accountId: instance.accountId, instanceId: instance.id }, hooks)
            : null;
        reply.code(201);
        return {
          instance_id: instance.id,
          session_name: instance.name,
          server_name: serverName,
          status: 'STOPPED' as const,
          ...(created ? { webhooks: created } : {}),
        };
      },
    );

    routeMethods(app, ['GET', 'POST'], {
      url: '/v2/session/info',
      config: { auth: 'instance', xmlRoot: 'session' },
      schema: {
        ...common,
        summary: 'Instance status, reason, identity and history',
        querystring: instanceQuery(),
        body: instanceBody(),
        response: {
          200: Type.Object(
            {
              instance_id: Type.String(),
              name: Type.String(),
              status: SessionStatusSchema,
              reason: Type.String(),
              updatedAt: Type.String(),
              config: Type.Object({ webhooks: Type.Object({}), proxy: Type.Null() }),
              me: MeSummarySchema,
              qr: Type.Optional(Type.String({ description: 'data:image/png;base64,… (only in SCAN_QR_CODE)' })),
              history: Type.Array(
                Type.Object({ status: SessionStatusSchema, reason: Type.String(), at: Type.String() }),
              ),
            },
            { additionalProperties: true },
          ),
          ...errorResponses(400, 401, 404),
        },
      },
      handler: async (request) => registry.info(requestInstance(request)),
    });

    routeMethods(app, ['DELETE', 'POST'], {
      url: '/v2/session/delete',
      config: { auth: 'instance', xmlRoot: 'session' },
      schema: {
        ...common,
        summary: 'Delete an instance (stops it first); later calls are 404',
        querystring: instanceQuery(),
        body: instanceBody(),
        response: {
          200: Type.Object(
            { instance_id: Type.String(), deleted: Type.Literal(true) },
            { examples: [{ instance_id: 'A1b2C3d4E5f6', deleted: true }] },
          ),
          ...errorResponses(400, 401, 404),
        },
      },
      handler: async (request) => {
        const instance = requestInstance(request);
        // A concurrent delete may have won; then this instance no longer exists for the caller either.
        if (!(await registry.delete(instance))) throw errors.invalidInstance();
        return { instance_id: instance.id, deleted: true as const };
      },
    });

    app.post(
      '/v2/session/config',
      {
        config: { auth: 'instance', xmlRoot: 'config' },
        schema: {
          ...common,
          summary: 'Update name, expected_phone, signature (omitted fields unchanged; null clears)',
          querystring: instanceQuery(),
          body: instanceBody({
            name: Type.Optional(NameSchema),
            expected_phone: Type.Optional(PhoneSchema),
            signature: Type.Optional(SignatureSchema),
          }),
          response: { 200: ConfigSchema, ...errorResponses(400, 401, 404) },
        },
      },
      async (request) => {
        const instance = requestInstance(request);
        const body = request.body;
        const patch: { name?: string; expectedPhone?: string | null; signature?: string | null } = {};
        if (body.name !== undefined) patch.name = body.name;
        const expectedPhone = phone(body.expected_phone);
        if (expectedPhone !== undefined) patch.expectedPhone = expectedPhone;
        if (body.signature !== undefined) patch.signature = body.signature;
        const updated = Object.keys(patch).length > 0 ? await registry.updateConfig(instance.id, patch) : instance;
        if (!updated) throw errors.invalidInstance();
        return registry.configView(updated);
      },
    );
  };

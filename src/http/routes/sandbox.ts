import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { SimulatorClient } from '../../../sim/index.ts';
import { SECURITY, errorResponses } from '../schemas.ts';

/**
 * /sandbox/*: drive the embedded WhatsApp simulator (a simulated phone scans, enters a code, unlinks, drops, renames
 * itself; a simulated contact texts an account and shows what it received).
 * Registered only when SWITCHBOARD_SANDBOX=1; admin token (auth.ts applies it by path). The simulator's own error
 * codes become HTTP errors in the error handler's table (src/http/error-handler.ts).
 */

const common = { tags: ['sandbox'], security: SECURITY.admin };

const Nullable = <T extends ReturnType<typeof Type.String>>(s: T) => Type.Union([s, Type.Null()]);
const Phone = Type.String({ minLength: 1, maxLength: 32, description: 'Digits of the simulated phone number' });
const PairProps = {
  phone: Phone,
  push_name: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  platform: Type.Optional(Type.String({ maxLength: 32, description: 'android, iphone, smba, smbi, …' })),
  business_name: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
};
const Linked = Type.Object({ jid: Type.String(), lid: Type.String() });
const PhoneParams = Type.Object({ phone: Phone });
const Activity = Type.Union([
  Type.Object({
    kind: Type.Literal('presence'),
    from: Type.String(),
    state: Type.Union([
      Type.Literal('composing'),
      Type.Literal('paused'),
      Type.Literal('available'),
      Type.Literal('unavailable'),
    ]),
    timestamp: Type.Integer({ description: 'unix seconds' }),
  }),
  Type.Object({
    kind: Type.Literal('receipt'),
    from: Type.String(),
    type: Type.Literal('read'),
    message_ids: Type.Array(Type.String()),
    timestamp: Type.Integer({ description: 'unix seconds' }),
  }),
]);

interface PairBody {
  phone: string;
  push_name?: string | null;
  platform?: string;
  business_name?: string | null;
}

const pairInput = (body: PairBody) => ({
  phone: body.phone,
  pushName: body.push_name,
  platform: body.platform,
  businessName: body.business_name,
});

export function sandboxRoutes(sim: SimulatorClient): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/sandbox/scan',
      {
        config: { auth: 'admin', xmlRoot: 'device' },
        schema: {
          ...common,
          summary: 'A simulated phone scans the QR and links the device',
          body: Type.Object({ qr: Type.String({ minLength: 1, maxLength: 4096 }), ...PairProps }),
          response: { 200: Linked, ...errorResponses(400, 401, 404) },
        },
      },
      async (request) => {
        const body = request.body;
        return await sim.scan({ ...pairInput(body), qr: body.qr });
      },
    );

    app.post(
      '/sandbox/enter-code',
      {
        config: { auth: 'admin', xmlRoot: 'device' },
        schema: {
          ...common,
          summary: 'A simulated phone enters the pairing code',
          body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 16 }), ...PairProps }),
          response: { 200: Linked, ...errorResponses(400, 401, 404, 409) },
        },
      },
      async (request) => {
        const body = request.body;
        return await sim.enterCode({ ...pairInput(body), code: body.code });
      },
    );

    app.post(
      '/sandbox/phones/:phone/unlink',
      {
        config: { auth: 'admin', xmlRoot: 'result' },
        schema: {
          ...common,
          summary: 'The phone removes its linked devices (they see 401 logged out)',
          params: PhoneParams,
          response: {
            200: Type.Object({ phone: Type.String(), removed: Type.Integer() }),
            ...errorResponses(400, 401, 404),
          },
        },
      },
      async (request) => {
        const { phone } = request.params;
        return { phone, removed: await sim.unlink(phone) };
      },
    );

    app.post(
      '/sandbox/phones/:phone/disconnect',
      {
        config: { auth: 'admin', xmlRoot: 'result' },
        schema: {
          ...common,
          summary: 'Drop the socket, replace the connection (440) or require a restart (515)',
          params: PhoneParams,
          body: Type.Object({
            mode: Type.Union([Type.Literal('drop'), Type.Literal('conflict'), Type.Literal('restart')]),
          }),
          response: {
            200: Type.Object({ phone: Type.String(), disconnected: Type.Integer() }),
            ...errorResponses(400, 401, 404),
          },
        },
      },
      async (request) => {
        const { phone } = request.params;
        const { mode } = request.body;
        return { phone, disconnected: await sim.disconnect(phone, mode) };
      },
    );

    app.get(
      '/sandbox/phones',
      {
        config: { auth: 'admin', xmlRoot: 'phones' },
        schema: {
          ...common,
          summary: 'Simulated phones and their linked devices',
          response: {
            200: Type.Array(
              Type.Object(
                {
                  phone: Type.String(),
                  push_name: Type.Union([Type.String(), Type.Null()]),
                  devices: Type.Array(
                    Type.Object({ jid: Type.String(), platform: Type.String() }, { additionalProperties: true }),
                  ),
                },
                { additionalProperties: true },
              ),
            ),
            ...errorResponses(401),
          },
        },
      },
      async () => await sim.listPhones(),
    );

    app.patch(
      '/sandbox/phones/:phone',
      {
        config: { auth: 'admin', xmlRoot: 'phone' },
        schema: {
          ...common,
          summary: 'The account changes its push name; linked devices learn it through app-state sync',
          params: PhoneParams,
          body: Type.Object({ push_name: Type.String({ minLength: 1, maxLength: 100 }) }),
          response: {
            200: Type.Object({ phone: Type.String(), push_name: Type.String(), notified: Type.Integer() }),
            ...errorResponses(400, 401),
          },
        },
      },
      async (request) => {
        const { phone } = request.params;
        const { push_name } = request.body;
        const { notified } = await sim.setPushName(phone, push_name);
        return { phone, push_name, notified };
      },
    );

    app.post(
      '/sandbox/phones/:phone/messages',
      {
        config: { auth: 'admin', xmlRoot: 'message' },
        schema: {
          ...common,
          summary: 'That simulated phone (created if new) sends an end-to-end encrypted text to the account `to`',
          params: PhoneParams,
          body: Type.Object({
            to: Type.String({
              minLength: 1,
              maxLength: 32,
              description: 'Digits of a simulated account with a linked device',
            }),
            text: Type.String({ minLength: 1, maxLength: 4096 }),
          }),
          response: {
            200: Type.Object({ id: Type.String(), timestamp: Type.Integer() }),
            ...errorResponses(400, 401, 404),
          },
        },
      },
      async (request) => {
        const { phone } = request.params;
        const { to, text } = request.body;
        return await sim.sendText({ from: phone, to: to.replace(/[\s+]/g, ''), text });
      },
    );

    app.get(
      '/sandbox/phones/:phone/messages',
      {
        config: { auth: 'admin', xmlRoot: 'messages' },
        schema: {
          ...common,
          summary: 'Texts that phone received, decrypted on its side (oldest first)',
          params: PhoneParams,
          response: {
            200: Type.Array(
              Type.Object({ id: Type.String(), from: Type.String(), text: Type.String(), timestamp: Type.Integer() }),
            ),
            ...errorResponses(400, 401),
          },
        },
      },
      async (request) => {
        const { phone } = request.params;
        return await sim.receivedMessages(phone);
      },
    );

    app.post(
      '/sandbox/faults',
      {
        config: { auth: 'admin', xmlRoot: 'faults' },
        schema: {
          ...common,
          summary: 'The next `connections` client connections meet a certificate fault',
          description:
            "`cert_key_mismatch`: the genuine certificate chain with a Noise static key that is not the leaf's key; " +
            '`cert_expired`: a correctly signed leaf outside its validity period. Queued after faults already pending.',
          body: Type.Object({
            fault: Type.Union([Type.Literal('cert_key_mismatch'), Type.Literal('cert_expired')]),
            connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1 })),
          }),
          response: { 200: Type.Object({ pending: Type.Integer() }), ...errorResponses(400, 401) },
        },
      },
      async (request) => await sim.faults.inject(request.body),
    );

    app.delete(
      '/sandbox/faults',
      {
        config: { auth: 'admin' },
        schema: {
          ...common,
          summary: 'Clears pending faults',
          response: { 204: Type.Null({ description: 'Cleared' }), ...errorResponses(401) },
        },
      },
      async (_request, reply) => {
        await sim.faults.clear();
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/sandbox/reset',
      {
        config: { auth: 'admin' },
        schema: {
          ...common,
          summary: 'Forgets every simulated phone, device and message (linked instances see their device removed)',
          response: { 204: Type.Null({ description: 'Reset' }), ...errorResponses(401) },
        },
      },
      async (_request, reply) => {
        await sim.reset();
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/sandbox/phones/:phone/devices',
      {
        config: { auth: 'admin', xmlRoot: 'devices' },
        schema: {
          ...common,
          summary: "That phone's linked devices",
          params: PhoneParams,
          response: {
            200: Type.Array(
              Type.Object({
                jid: Type.String(),
                platform: Type.String(),
                linked_at: Type.String({ format: 'date-time' }),
              }),
            ),
            ...errorResponses(400, 401),
          },
        },
      },
      async (request) => await sim.devices(request.params.phone),
    );

    app.get(
      '/sandbox/phones/:phone/activity',
      {
        config: { auth: 'admin', xmlRoot: 'activity' },
        schema: {
          ...common,
          summary: 'What that phone observed besides texts (typing, online/offline, read receipts), oldest first',
          params: PhoneParams,
          response: { 200: Type.Array(Activity), ...errorResponses(400, 401) },
        },
      },
      async (request) => await sim.activity(request.params.phone),
    );
  };
}

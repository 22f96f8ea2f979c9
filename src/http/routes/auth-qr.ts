import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import QRCode from 'qrcode';
import type { SessionManager } from '../../sessions/index.ts';
import type { EngineQr } from '../../engine/index.ts';
import { requestInstance } from '../auth.ts';
import { errors } from '../api-errors.ts';
import { routeMethods } from '../routing.ts';
import { SECURITY, errorResponses, instanceBody, instanceQuery } from '../schemas.ts';

/**
 * /v2/auth/qr, /v2/auth/qr-image, /v2/auth/request-code: linking a device. QRs are short-lived secrets: every answer
 * carries `Cache-Control: no-store`. Only in SCAN_QR_CODE; otherwise 409 invalid_state with the current status.
 */

/** Right after logout the status is SCAN_QR_CODE a moment before the fresh QR exists; wait that long, not more. */
const FIRST_QR_WAIT_MS = 10_000;

const common = { tags: ['auth'], security: SECURITY.instance };

const PHONE_RULE = 'phone_number must be 6 to 15 digits (international format, digits only)';

async function shownQr(manager: SessionManager, instanceId: string): Promise<EngineQr> {
  const qr = await manager.waitForQr(instanceId, FIRST_QR_WAIT_MS);
  if (qr) return qr;
  const current = await manager.status(instanceId);
  throw errors.invalidState(current?.status ?? 'STOPPED');
}

/** Whether the client asked for the PNG itself (Accept: image/png, or image/* ahead of any JSON). */
function wantsPng(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  if (typeof accept !== 'string') return false;
  for (const part of accept.toLowerCase().split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    if (params.some((p) => /^q\s*=\s*0(\.0*)?$/.test(p))) continue;
    if (type === 'image/png' || type === 'image/*') return true;
    if (type === 'application/json' || type === 'application/xml' || type === 'text/xml') return false;
  }
  return false;
}

export function authQrRoutes(manager: SessionManager): FastifyPluginAsyncTypebox {
  return async (app) => {
    routeMethods(app, ['GET', 'POST'], {
      url: '/v2/auth/qr',
      config: { auth: 'instance', xmlRoot: 'qr' },
      schema: {
        ...common,
        summary: 'The raw QR currently shown (SCAN_QR_CODE only)',
        querystring: instanceQuery({ format: Type.Optional(Type.Literal('raw')) }),
        body: instanceBody({ format: Type.Optional(Type.Literal('raw')) }),
        response: {
          200: Type.Object({
            mimetype: Type.Literal('application/json'),
            data: Type.String({ description: 'base64 of {"value","expiry"}' }),
            value: Type.String(),
            expiry: Type.Integer({ description: 'unix ms' }),
          }),
          ...errorResponses(400, 401, 404, 409),
        },
      },
      handler: async (request, reply) => {
        const instance = requestInstance(request);
        reply.header('Cache-Control', 'no-store');
        const qr = await shownQr(manager, instance.id);
        const data = Buffer.from(JSON.stringify({ value: qr.value, expiry: qr.expiry }), 'utf8').toString('base64');
        return { mimetype: 'application/json' as const, data, value: qr.value, expiry: qr.expiry };
      },
    });

    routeMethods(app, ['GET', 'POST'], {
      url: '/v2/auth/qr-image',
      config: { auth: 'instance', xmlRoot: 'qr' },
      schema: {
        ...common,
        summary: 'The QR as a PNG data URL, or the PNG bytes with Accept: image/png',
        querystring: instanceQuery(),
        body: instanceBody(),
        response: {
          200: {
            description: 'The QR: a PNG data URL in JSON, or with Accept: image/png the PNG itself',
            content: {
              'application/json': {
                schema: Type.Object({ qr: Type.String({ description: 'data:image/png;base64,…' }) }),
              },
              'image/png': { schema: { type: 'string', format: 'binary' } },
            },
          },
          ...errorResponses(400, 401, 404, 409),
        },
      },
      handler: async (request, reply) => {
        const instance = requestInstance(request);
        reply.header('Cache-Control', 'no-store');
        const qr = await shownQr(manager, instance.id);
        if (wantsPng(request)) {
          const png = await QRCode.toBuffer(qr.value, { type: 'png' });
          // Raw PNG bytes, outside the JSON response schema: sent through the untyped reply.
          return (reply as FastifyReply).type('image/png').send(png);
        }
        return { qr: await QRCode.toDataURL(qr.value) };
      },
    });

    app.post(
      '/v2/auth/request-code',
      {
        config: { auth: 'instance', xmlRoot: 'code' },
        schema: {
          ...common,
          summary: 'Pairing code for linking by phone number (SCAN_QR_CODE only)',
          querystring: instanceQuery(),
          body: instanceBody({
            phone_number: Type.Optional(
              Type.Union(
                [
                  Type.String({ maxLength: 32, pattern: '^\\d{6,15}$', 'x-rule': PHONE_RULE }),
                  Type.Integer({ minimum: 100000, maximum: 999999999999999 }),
                ],
                {
                  description: 'The phone number in international format, digits only',
                  examples: ['201145202826'],
                },
              ),
            ),
          }),
          response: {
            200: Type.Object(
              { code: Type.String({ description: 'ABCD-1234' }) },
              { examples: [{ code: 'ABCD-1234' }] },
            ),
            ...errorResponses(400, 401, 404, 409, 502),
          },
        },
      },
      async (request, reply) => {
        const instance = requestInstance(request);
        reply.header('Cache-Control', 'no-store');
        const raw = request.body?.phone_number;
        if (raw === undefined || raw === '') throw errors.missingParameter('phone_number');
        const phone = String(raw);
        // Digits only, E.164 length; anything else is refused rather than silently cleaned.
        if (!/^\d{6,15}$/.test(phone)) throw errors.invalidParameter('phone_number', undefined, PHONE_RULE);
        return { code: await manager.requestPairingCode(instance.id, phone) };
      },
    );
  };
}

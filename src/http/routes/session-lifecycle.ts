import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import QRCode from 'qrcode';
import type { SessionManager } from '../../sessions/index.ts';
import type { RegistryHooks } from '../../tenancy/index.ts';
import { requestInstance } from '../auth.ts';
import { routeMethods } from '../routing.ts';
import { SECURITY, SessionStatusSchema, errorResponses, instanceBody, instanceQuery } from '../schemas.ts';

/**
 * /v2/session/start|stop|restart|logout (GET and POST, as Wawp). Each answers once the command is accepted, with the
 * status it left the session in; the status may still be changing (poll /info or listen to session.status).
 */

/** The same shape as its siblings: create and info carry instance_id too. */
const SessionAnswer = Type.Object(
  {
    instance_id: Type.String(),
    name: Type.String(),
    status: SessionStatusSchema,
    config: Type.Object({ webhooks: Type.Object({}), proxy: Type.Null() }),
  },
  {
    examples: [
      { instance_id: 'A1b2C3d4E5f6', name: 'support-desk', status: 'STARTING', config: { webhooks: {}, proxy: null } },
    ],
  },
);

type Command = 'start' | 'stop' | 'restart' | 'logout';

const SUMMARIES: Record<Command, string> = {
  start: 'Start the session (idempotent on a running one): STARTING, then WORKING or SCAN_QR_CODE',
  stop: 'Stop the session, keeping its credentials: STOPPED',
  restart: 'Stop then start with the saved credentials',
  logout: 'Unlink the device, clear credentials and identity, then show a fresh QR (SCAN_QR_CODE)',
};

export function sessionLifecycleRoutes(manager: SessionManager): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const command of ['start', 'stop', 'restart', 'logout'] as const) {
      routeMethods(app, ['GET', 'POST'], {
        url: `/v2/session/${command}`,
        config: { auth: 'instance', xmlRoot: 'session' },
        schema: {
          tags: ['session'],
          security: SECURITY.instance,
          summary: SUMMARIES[command],
          querystring: instanceQuery(),
          body: instanceBody(),
          response: { 200: SessionAnswer, ...errorResponses(400, 401, 404, 409, 502) },
        },
        handler: async (request) => {
          const instance = requestInstance(request);
          const snapshot = await manager[command](instance.id);
          return {
            instance_id: instance.id,
            name: instance.name,
            status: snapshot.status,
            config: { webhooks: {}, proxy: null },
          };
        },
      });
    }
  };
}

/**
 * The registry's seams for the session manager: stop and forget a session before its instance is deleted, and the
 * live `qr` of /v2/session/info (only while SCAN_QR_CODE and a QR is shown).
 */
export function lifecycleRegistryHooks(manager: SessionManager): RegistryHooks {
  return {
    beforeDelete: (instance) => manager.forget(instance.id),
    liveInfo: async (instance) => {
      if (instance.status !== 'SCAN_QR_CODE') return null;
      const qr = manager.currentQr(instance.id);
      return qr ? { qr: await QRCode.toDataURL(qr.value) } : null;
    },
  };
}

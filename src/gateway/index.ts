import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { buildApp } from './http-app.ts';
import { createSessionServices, type SessionServices, type SessionServicesInput } from './session-services.ts';

/**
 * The composition root: the one place that builds the session services (engine, manager, webhooks, messaging) and
 * the HTTP app over a store someone opened. src/main.ts, the test harness (test/harness/gateway.ts) and the benches
 * all start the gateway through createGateway; HTTP-only tests use buildApp on a bare store.
 */

export { buildApp, SINGLE_NODE_ID, VERSION, type AppDeps } from './http-app.ts';
export { nodeView } from './node-view.ts';
export { createSessionServices, type SessionServices, type SessionServicesInput } from './session-services.ts';

export type GatewayInput = Omit<SessionServicesInput, 'config'> & {
  config: Config;
  /** `server_name` of /v2/session/create; defaults to the host name. */
  serverName?: string;
};

export interface GatewayParts {
  app: FastifyInstance;
  sessions: SessionServices;
  /**
   * Closes HTTP, then the sessions (keeping them restorable), the dispatcher and the embedded simulator (unless
   * `keepSimulator`). The store stays open: whoever opened it closes it.
   */
  close(opts?: { keepSimulator?: boolean }): Promise<void>;
}

export async function createGateway(input: GatewayInput): Promise<GatewayParts> {
  const sessions = await createSessionServices(input);
  const app = buildApp({
    config: input.config,
    store: input.store,
    logger: input.logger,
    registry: sessions.registry,
    plugins: sessions.plugins,
    webhooks: sessions.webhooks,
    forwarding: sessions.forwarding,
    me: sessions.manager,
    serverName: input.serverName,
    nodeId: sessions.nodeId,
  });
  return {
    app,
    sessions,
    async close(opts) {
      await app.close();
      await sessions.close(opts);
    },
  };
}

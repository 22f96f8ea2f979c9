import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import {
  AccessLog,
  lazyChildLogger,
  registerAuth,
  registerForwarding,
  type ForwardingDeps,
  BODY_LIMIT,
  registerBodyParsers,
  frameworkErrors,
  registerErrorHandling,
  registerOpenApi,
  registerRenditions,
  genReqId,
  registerRequestId,
  accountRoutes,
  adminRoutes,
  healthRoutes,
  sessionRoutes,
  recordRoutes,
  wawpCompatRoutes,
  typeboxValidatorCompiler,
  MeFastLane,
  serverWithFastLane,
  type MeSource,
} from '../http/index.ts';
import { AuthCache } from '../tenancy/index.ts';
import { InstanceRegistry, type RegistryHooks } from '../tenancy/index.ts';
import type { Store } from '../store/index.ts';
import type { WebhookService } from '../webhooks/index.ts';
import { dashboardRoutes } from '../dashboard/index.ts';

/**
 * Assembles the HTTP application: the foundation (request ids, bodies, errors, auth, renditions, OpenAPI), then
 * route plugins, each given its services as arguments. The session side (src/gateway/session-services.ts) adds
 * its route plugins and registry hooks through `deps`; src/gateway/index.ts puts both together.
 */

export interface AppDeps {
  config: Config;
  store: Store;
  /** A pino logger (see src/http/pino-logger.ts createLogger); none: silent. */
  logger?: Logger;
  /** Defaults to config.sandbox. */
  sandbox?: boolean;
  /** The instance registry the routes share; built here (with `registryHooks`) when not given. */
  registry?: InstanceRegistry;
  /** Session-manager seams: stop before delete, live fields of /v2/session/info (only when `registry` is not given). */
  registryHooks?: RegistryHooks;
  /** `server_name` of /v2/session/create; defaults to the host name. */
  serverName?: string;
  /** More route plugins (session lifecycle, sandbox, webhooks…), registered after the foundation's routes. */
  plugins?: FastifyPluginAsync[];
  /** Lets /v2/session/create take `webhooks`. */
  webhooks?: WebhookService;
  /** The node that answers (`/health`); default config.nodeId, else SINGLE_NODE_ID. */
  nodeId?: string;
  /** Several nodes: instance calls go to the lease holder (docs/multi-node.md "Forwarding"). */
  forwarding?: ForwardingDeps | null;
  /**
   * The session layer's /me answers: with it, the plain `GET /v2/session/me` is answered by the fast lane before
   * Fastify (src/http/me-fast-lane.ts); its route (given in `plugins`) answers everything else.
   */
  me?: MeSource;
}

/**
 * The node id of a gateway outside a cluster (SQLite, or PostgreSQL without one) unless SWITCHBOARD_NODE_ID names it:
 * constant, so it is the same across restarts and hosts (docs/http-api.md "/health").
 */
export const SINGLE_NODE_ID = 'single';

export const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

export function buildApp(deps: AppDeps): FastifyInstance {
  const { store } = deps;
  const authCache = new AuthCache(store);
  // A silent logger is no logger: Fastify then skips the per-request child logger (bindings, level methods).
  const accessLog =
    deps.logger && deps.logger.level !== 'silent' ? new AccessLog(deps.logger, deps.config.accessLog ?? true) : null;
  const fastLane = deps.me
    ? new MeFastLane({ authCache, me: deps.me, accessLog, holdsLease: deps.forwarding?.holdsLease })
    : null;
  const app = Fastify({
    ...(deps.logger && accessLog
      ? {
          loggerInstance: deps.logger,
          // One access line per request, and request.log children only for requests that log (http/access-log.ts).
          logController: accessLog,
          childLoggerFactory: lazyChildLogger,
        }
      : { logger: false }),
    ...(fastLane ? { serverFactory: serverWithFastLane(fastLane) } : {}),
    genReqId,
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    frameworkErrors,
    // Wawp clients may keep connections open; do not let a slow client hold a socket forever.
    requestTimeout: 30_000,
  }) as unknown as FastifyInstance;

  app.setValidatorCompiler(typeboxValidatorCompiler);
  // Response schemas document; they do not filter. Bodies are serialised as the route built them.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  const registry = deps.registry ?? new InstanceRegistry(store, deps.registryHooks);
  // Closing: from now on Fastify answers every call (its 503 and `Connection: close`).
  if (fastLane) app.addHook('preClose', (done) => (fastLane.close(), done()));
  app.addHook('onClose', (_app, done) => {
    authCache.close();
    done();
  });

  registerRequestId(app);
  registerBodyParsers(app);
  registerErrorHandling(app, { sandbox: deps.sandbox ?? deps.config.sandbox });
  registerAuth(app, { authCache, store });
  if (deps.forwarding) registerForwarding(app, deps.forwarding);
  const routes = recordRoutes(app);
  registerRenditions(app);
  registerOpenApi(app, VERSION);

  app.register(
    healthRoutes({
      version: VERSION,
      sandbox: deps.sandbox ?? deps.config.sandbox,
      storeKind: store.kind,
      nodeId: deps.nodeId ?? deps.config.nodeId ?? SINGLE_NODE_ID,
    }),
  );
  app.register(adminRoutes(store, registry));
  app.register(sessionRoutes({ registry, serverName: deps.serverName ?? hostname(), webhooks: deps.webhooks }));
  app.register(accountRoutes(registry));
  app.register(dashboardRoutes());
  for (const plugin of deps.plugins ?? []) app.register(plugin);
  // Last: the v1 paths reuse the routes registered above; unbuilt Wawp routes answer 501.
  app.register(wawpCompatRoutes(routes));
  return app;
}

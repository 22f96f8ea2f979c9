/**
 * The HTTP layer's public entry, for the composition root (src/gateway/): the foundation's register functions and
 * the route plugins, each a factory that takes its services. Nothing below the gateway imports the HTTP layer.
 */
export { AccessLog, lazyChildLogger } from './access-log.ts';
export { registerAuth } from './auth.ts';
export { BODY_LIMIT, registerBodyParsers } from './body.ts';
export { frameworkErrors, registerErrorHandling } from './error-handler.ts';
export { registerForwarding, clusterSecret, type ForwardingDeps } from './forward/index.ts';
export { registerOpenApi } from './openapi.ts';
export { createLogger } from './pino-logger.ts';
export { registerRenditions } from './renditions.ts';
export { genReqId, registerRequestId } from './request-id.ts';
export { MeFastLane, serverWithFastLane } from './me-fast-lane.ts';
export { typeboxValidatorCompiler } from './validation.ts';
export { accountRoutes } from './routes/account.ts';
export { adminRoutes } from './routes/admin.ts';
export { authQrRoutes } from './routes/auth-qr.ts';
export { clusterRoutes } from './routes/cluster.ts';
export { eventStreamRoutes } from './routes/event-streams.ts';
export { healthRoutes } from './routes/health.ts';
export { metricsRoutes } from './routes/metrics.ts';
export { sandboxRoutes } from './routes/sandbox.ts';
export { sendRoutes } from './routes/send.ts';
export { sendChatStateRoutes } from './routes/send-chat-state.ts';
export { recordRoutes, wawpCompatRoutes } from './routes/wawp-compat.ts';
export { lifecycleRegistryHooks, sessionLifecycleRoutes } from './routes/session-lifecycle.ts';
export { sessionMeRoutes, type MeSource } from './routes/session-me.ts';
export { sessionRoutes } from './routes/session.ts';
export { webhookRoutes } from './routes/webhooks.ts';

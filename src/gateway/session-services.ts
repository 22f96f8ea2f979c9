import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { startSimulatorThread, type SimulatorClient } from '../../sim/index.ts';
import { STREAM_DEFAULTS, type Config } from '../config.ts';
import type { Engine } from '../engine/index.ts';
import { createThreadedEngine, type ThreadedEngine } from '../engine/threads/index.ts';
import { ClusterEventSource, EventBus } from '../events/index.ts';
import { SharedIdentityCache } from '../identity/index.ts';
import { WebhookDispatcher, type DispatcherOptions } from '../webhooks/index.ts';
import { WebhookService } from '../webhooks/index.ts';
import {
  eventStreamRoutes,
  webhookRoutes,
  authQrRoutes,
  sandboxRoutes,
  lifecycleRegistryHooks,
  sessionLifecycleRoutes,
  sessionMeRoutes,
  sendRoutes,
  sendChatStateRoutes,
  metricsRoutes,
  clusterRoutes,
  clusterSecret,
  type ForwardingDeps,
} from '../http/index.ts';
import { EngineTap } from '../messaging/index.ts';
import { MessagingService, type MessagingOptions } from '../messaging/index.ts';
import { SessionManager, type SessionManagerDeps } from '../sessions/index.ts';
import { InstanceRegistry } from '../tenancy/index.ts';
import type { Store } from '../store/index.ts';
import { createMetrics } from '../metrics/index.ts';
import { nodeView, RUNNING_STATUSES } from './node-view.ts';
import { clusterMember, type ClusterMember, type ClusterMemberConfig } from '../cluster/index.ts';

/**
 * Composition of the session side for main.ts (and the end-to-end tests, which boot the same thing): the sandbox
 * simulator when asked for, the Baileys engine pointed at it (or at WhatsApp), the event bus, the session manager,
 * and the HTTP pieces that reach the manager (route plugins, registry hooks).
 */

export interface SessionServices {
  /** The node this process is (`/health`, `/metrics`): the cluster's id, SWITCHBOARD_NODE_ID, or SINGLE_NODE_ID. */
  nodeId: string;
  bus: EventBus;
  manager: SessionManager;
  /** The embedded simulator in sandbox mode (in its own worker thread unless the input gave one), else null. */
  sim: SimulatorClient | null;
  /** The instance registry with the manager's hooks (stop before delete, live fields of /v2/session/info). */
  registry: InstanceRegistry;
  /** The route plugins of the session side, given their services (for buildApp's `plugins`). */
  plugins: FastifyPluginAsync[];
  /** Webhook subscriptions (for buildApp's `webhooks`) and the outbox dispatcher (started here). */
  webhooks: WebhookService;
  dispatcher: WebhookDispatcher;
  /** Sending (durable outbound queue) and inbound message events. */
  messaging: MessagingService;
  /** This node of the cluster (PostgreSQL with `cluster` given), else null. */
  cluster: ClusterMember | null;
  /** How instance calls reach their lease holder (for buildApp's `forwarding`); null when not clustered. */
  forwarding: ForwardingDeps | null;
  /** The engine's worker threads, or null when the engine runs in this thread (engineThreads 0). */
  engineThreads: ThreadedEngine | null;
  /**
   * Ends sessions (keeping them restorable: nothing recorded), the sender, the dispatcher and the embedded simulator
   * unless `keepSimulator` (tests of a second life against the same simulator). Idempotent.
   */
  close(opts?: { keepSimulator?: boolean }): Promise<void>;
}

export interface SessionServicesInput {
  config: Pick<Config, 'sandbox' | 'waUrl' | 'dataDir'> &
    Partial<
      Pick<
        Config,
        | 'nodeId'
        | 'engineThreads'
        | 'waRootKey'
        | 'webhookAllowPrivate'
        | 'webhookRetryHorizonMs'
        | 'sendRatePerMin'
        | 'maxStreamsPerAccount'
        | 'streamReplayWindowMs'
        | 'clusterSecret'
      >
    >;
  store: Store;
  masterKey: Buffer;
  logger: Logger;
  /** Tests: shorter QR lifetime, watchdog, backoff. */
  qrTimeoutMs?: number;
  managerOptions?: SessionManagerDeps['options'];
  /** Sandbox with a simulator someone else owns (tests that outlive one gateway); not stopped on close. An in-process
   * Simulator is handed over through asyncSimulator(). */
  simulator?: SimulatorClient;
  /** Tests: faster webhook retries, shorter timeouts. */
  webhookOptions?: Partial<DispatcherOptions>;
  /** Tests: send wait, retry pacing (the rate comes from config.sendRatePerMin unless given here). */
  messagingOptions?: MessagingOptions;
  /**
   * PostgreSQL: join the cluster on this database (docs/multi-node.md). The manager then runs only the instances whose
   * lease this node holds, and the node's claims restore them (restoreAll does nothing).
   */
  cluster?: Omit<ClusterMemberConfig, 'claimStatuses' | 'logger'>;
}

export async function createSessionServices(input: SessionServicesInput): Promise<SessionServices> {
  const { config, logger } = input;
  let sim: SimulatorClient | null = null;
  const ownSim = config.sandbox && !input.simulator;
  if (config.sandbox) {
    // The simulated network keeps its state (keys, phones, links, Signal sessions, queued texts) in its own file,
    // <dataDir>/sandbox.db, apart from the tenants' data: a gateway restart finds every linked device again. Its own
    // worker thread: its crypto (Noise, Signal, app state) would otherwise stall this HTTP thread in a pairing storm.
    sim =
      input.simulator ??
      (await startSimulatorThread({ port: 0, dataDir: config.dataDir, logger: logger.child({ module: 'sim' }) }));
    logger.warn(
      { simulator: sim.url },
      '*** SANDBOX MODE: sessions connect to the embedded WhatsApp SIMULATOR, not to WhatsApp. Do not use in production. ***',
    );
  }
  // Messaging taps the engine's sessions (message/ack events, the open session to send through); the manager
  // starts sessions through the tap without knowing about messages.
  const engineOptions = {
    waUrl: sim?.url ?? config.waUrl ?? undefined,
    rootPublicKey: sim?.rootPublicKey ?? config.waRootKey ?? undefined,
    qrTimeoutMs: input.qrTimeoutMs,
    logger,
  };
  // Threads (the default): sessions run off the HTTP thread. 0: in this thread, Baileys loaded only then.
  const threads = config.engineThreads ?? 0;
  const threaded: ThreadedEngine | null = threads > 0 ? createThreadedEngine({ ...engineOptions, threads }) : null;
  await threaded?.ready;
  const engine: Engine = threaded ?? (await import('../engine/baileys/index.ts')).createBaileysEngine(engineOptions);
  const tap = new EngineTap(engine);
  const bus = new EventBus();
  const cluster =
    input.cluster && input.store.kind === 'postgres'
      ? clusterMember({
          ...input.cluster,
          claimStatuses: RUNNING_STATUSES,
          logger: logger.child({ module: 'cluster' }),
        })
      : null;
  const manager = new SessionManager({
    store: input.store,
    engine: tap.engine,
    bus,
    masterKey: input.masterKey,
    logger: logger.child({ module: 'sessions' }),
    options: input.managerOptions,
    ownership: cluster?.node,
  });
  const allowPrivate = config.webhookAllowPrivate ?? false;
  const webhooks = new WebhookService(input.store, input.masterKey, { allowPrivate });
  const dispatcher = new WebhookDispatcher({
    store: input.store,
    bus,
    secrets: webhooks.secrets,
    logger: logger.child({ module: 'webhooks' }),
    options: {
      allowPrivate,
      ...(config.webhookRetryHorizonMs ? { retryHorizonMs: config.webhookRetryHorizonMs } : {}),
      ...input.webhookOptions,
    },
  });
  await dispatcher.start();
  const messaging = new MessagingService({
    store: input.store,
    bus,
    tap,
    sessions: manager,
    logger: logger.child({ module: 'messaging' }),
    ...(cluster ? { lease: (id: string) => cluster.node.requireToken(id) } : {}),
    options: {
      ...input.messagingOptions,
      sender: {
        ...(config.sendRatePerMin ? { ratePerMin: config.sendRatePerMin } : {}),
        ...input.messagingOptions?.sender,
      },
    },
  });
  const node = nodeView({ cluster, store: input.store, configuredId: config.nodeId ?? null });
  const nodeId = node.id;
  const metrics = createMetrics({ store: input.store, bus, node });
  // PostgreSQL: other nodes' identities (/me) and events (streams) through the change feed (docs/multi-node.md).
  const onPostgres = input.store.kind === 'postgres';
  const sharedIdentity = onPostgres ? new SharedIdentityCache(input.store) : undefined;
  const allEvents = onPostgres
    ? new ClusterEventSource({
        store: input.store,
        local: bus,
        onError: (err) => logger.warn({ err }, 'reading appended events for the live streams failed; retrying'),
      })
    : undefined;
  await allEvents?.start();
  const registry = new InstanceRegistry(input.store, {
    ...lifecycleRegistryHooks(manager),
    ...(cluster ? { lostOwners: (ids: string[]) => cluster.lostOwners(ids) } : {}),
  });
  const plugins: FastifyPluginAsync[] = [
    sessionLifecycleRoutes(manager),
    sessionMeRoutes(manager, sharedIdentity),
    authQrRoutes(manager),
    webhookRoutes(webhooks, registry),
    eventStreamRoutes({
      bus: allEvents ?? bus,
      store: input.store,
      registry,
      maxStreamsPerAccount: config.maxStreamsPerAccount ?? STREAM_DEFAULTS.maxStreamsPerAccount,
      replayWindowMs: config.streamReplayWindowMs ?? STREAM_DEFAULTS.streamReplayWindowMs,
    }),
    sendRoutes(messaging),
    sendChatStateRoutes(messaging),
    metricsRoutes(metrics),
  ];
  if (sim) plugins.push(sandboxRoutes(sim));
  if (cluster) plugins.push(clusterRoutes(cluster));
  const forwarding: ForwardingDeps | null = cluster && {
    nodeId: cluster.node.nodeId,
    secret: clusterSecret(input.masterKey, config.clusterSecret ?? null),
    holdsLease: (id) => cluster.node.token(id) !== null,
    holderOf: (id) => cluster.holderOf(id),
    lostAfterMs: cluster.node.options.renewDeadlineMs,
  };
  // Renewing from now on; the first claim (which restores this node's share) comes after the join delay.
  await cluster?.start();
  let closing: Promise<void> | null = null;
  return {
    nodeId,
    bus,
    manager,
    sim,
    registry,
    plugins,
    webhooks,
    dispatcher,
    messaging,
    cluster,
    forwarding,
    engineThreads: threaded,
    close(opts: { keepSimulator?: boolean } = {}) {
      closing ??= (async () => {
        // Sends in flight finish and are marked before the connections go; queued ones stay for the next start.
        metrics.close();
        allEvents?.close();
        sharedIdentity?.close();
        await messaging.close().catch((err) => logger.error({ err }, 'messaging close failed'));
        await manager.shutdown().catch((err) => logger.error({ err }, 'session shutdown failed'));
        await threaded?.close().catch((err) => logger.error({ err }, 'engine threads close failed'));
        // Connections are down: hand the instances over to the other nodes at once (graceful leave).
        await cluster?.close({ leave: true }).catch((err) => logger.error({ err }, 'leaving the cluster failed'));
        // Deliveries in flight finish (bounded by their timeout); whatever is left stays queued in the store.
        await dispatcher.stop().catch((err) => logger.error({ err }, 'webhook dispatcher stop failed'));
        if (ownSim && !opts.keepSimulator)
          await sim?.stop().catch((err) => logger.error({ err }, 'simulator stop failed'));
      })();
      return closing;
    },
  };
}

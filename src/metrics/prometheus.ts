import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventBus } from '../events/index.ts';
import { SESSION_STATUSES } from '../domain/index.ts';
import type { InstanceStore } from '../store/index.ts';

/**
 * Prometheus metrics of one gateway process (`GET /metrics`, admin token). A registry of its own, not prom-client's
 * global one, so tests and several apps in one process never share counters. Session counts are read from the store
 * at scrape time: they are the truth for every node, and a scrape every few seconds costs one indexed query.
 */
export interface GatewayMetrics {
  registry: Registry;
  close(): void;
}

/**
 * What this node knows about itself (docs/multi-node.md "Node view"). The cluster parts are absent on a single node
 * (SQLite, or PostgreSQL without a cluster), where the node owns every instance it runs.
 */
export interface NodeView {
  /** SWITCHBOARD_NODE_ID, the cluster's generated id, or `single` (docs/http-api.md "/health"). */
  id: string;
  /** Instances this node owns (cluster: the leases it holds; single node: every running instance). */
  instancesOwned(): number | Promise<number>;
  /** Leases this node holds (cluster only). */
  leasesHeld?(): number;
  /** Seconds since the last successful lease renewal was sent (cluster only; null before the first). */
  renewalAgeMs?(): number | null;
  /** Whether the store's change listener hears the database (PostgreSQL only). */
  changeListenerConnected?(): boolean;
}

export function createMetrics(deps: { store: InstanceStore; bus: EventBus; node: NodeView }): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'switchboard_' });
  nodeGauges(registry, deps.node);

  new Gauge({
    name: 'switchboard_instances',
    help: 'Instances by lifecycle status (all accounts).',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const instances = await deps.store.listInstancesByStatus([...SESSION_STATUSES]);
      const counts = new Map<string, number>(SESSION_STATUSES.map((s) => [s, 0]));
      for (const instance of instances) counts.set(instance.status, (counts.get(instance.status) ?? 0) + 1);
      for (const [status, n] of counts) this.set({ status }, n);
    },
  });

  const events = new Counter({
    name: 'switchboard_events_total',
    help: 'Events committed to the outbox by this process, by event name.',
    labelNames: ['event'],
    registers: [registry],
  });
  const unsubscribe = deps.bus.subscribe((message) => events.inc({ event: message.envelope.event }));

  return { registry, close: unsubscribe };
}

/** Node-level gauges, each labelled with the node id so a cluster's scrapes can be told apart and summed. */
function nodeGauges(registry: Registry, node: NodeView): void {
  const labelNames = ['node'] as const;
  const gauge = (name: string, help: string, read: () => number | null | Promise<number | null>): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const value = await read();
        if (value === null) this.reset();
        else this.set({ node: node.id }, value);
      },
    });
  };
  gauge('switchboard_node_info', 'Always 1; the `node` label names the node that answered.', () => 1);
  gauge(
    'switchboard_node_instances_owned',
    'Instances this node owns (cluster: leases held; single node: every running instance).',
    () => node.instancesOwned(),
  );
  const { leasesHeld, renewalAgeMs, changeListenerConnected } = node;
  if (leasesHeld) gauge('switchboard_node_leases_held', 'Instance leases this node holds.', () => leasesHeld());
  if (renewalAgeMs) {
    gauge('switchboard_node_lease_renewal_age_seconds', 'Seconds since the last successful lease renewal.', () => {
      const ms = renewalAgeMs();
      return ms === null ? null : ms / 1000;
    });
  }
  if (changeListenerConnected) {
    gauge('switchboard_node_change_listener_connected', '1 while the change feed (LISTEN) hears the database.', () =>
      changeListenerConnected() ? 1 : 0,
    );
  }
}

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

export function createMetrics(deps: { store: InstanceStore; bus: EventBus }): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'switchboard_' });

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

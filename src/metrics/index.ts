/** Prometheus metrics of the gateway. */
export * from './prometheus.ts';

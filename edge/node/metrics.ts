// The edge's metrics on prom-client (Node only), in a Registry of its own so several edges can share a process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import {
  CONNECTION_CLOSE_REASONS, EDGE_ERROR_KINDS, METRIC_NAMES, PUBLISH_BUCKETS, type EdgeMetrics,
} from '../core/metrics.ts';
import { PUBLISH_STEPS } from '../core/publisher.ts';

/** `brokerReady`: the publisher's readiness, exported as a gauge (the same answer /readyz gives). */
export function createPromMetrics(
  options: { defaultMetrics?: boolean; brokerReady?: () => boolean } = {},
): EdgeMetrics & { registry: Registry } {
  const registry = new Registry();
  // The event-loop delay histogram samples once a second, not every 10 ms (prom-client's default): 100 wake-ups a
  // second were 0.6 % of a core with nothing to do, 11 % of a Pi 1's CPU budget (bench/RESULTS.md, figure 7).
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'bonker_edge_', eventLoopMonitoringPrecision: 1_000 });
  const registers = [registry];
  const { brokerReady } = options;
  if (brokerReady) {
    new Gauge({
      name: 'bonker_edge_broker_ready',
      help: '1 while the edge holds a connection to the broker and can store bonks, 0 while it answers 503 at once',
      registers,
      collect() {
        this.set(brokerReady() ? 1 : 0);
      },
    });
  }
  const notifications = new Counter({
    name: METRIC_NAMES.notifications,
    help: 'Alertmanager notifications received (valid payloads)',
    registers,
  });
  const alerts = new Counter({
    name: METRIC_NAMES.alerts,
    help: 'Alerts received, by alert status',
    labelNames: ['status'],
    registers,
  });
  const published = new Counter({ name: METRIC_NAMES.published, help: 'Bonk commands stored by the broker', registers });
  const coalesced = new Counter({
    name: METRIC_NAMES.coalesced,
    help: 'Firing alerts not published because a notification exceeded BONKER_EDGE_MAX_BONKS',
    registers,
  });
  const repeated = new Counter({
    name: METRIC_NAMES.repeated,
    help: 'Bonks of re-sent alerts not published again: this edge had them stored within BONKER_EDGE_REPEAT_WINDOW_S',
    registers,
  });
  const errors = new Counter({
    name: METRIC_NAMES.errors,
    help: 'Requests answered with an error, by kind (and for publish_failed, the step that failed)',
    labelNames: ['kind', 'step'],
    registers,
  });
  const connectionsClosed = new Counter({
    name: METRIC_NAMES.connectionsClosed,
    help: 'Connections the edge closed (idle, keepalive) or refused (limit), by reason',
    labelNames: ['reason'],
    registers,
  });
  const publishSeconds = new Histogram({
    name: METRIC_NAMES.publishSeconds,
    help: 'Time until the broker confirmed (QoS 2) every bonk of a notification',
    buckets: PUBLISH_BUCKETS,
    registers,
  });
  // Start every series at 0 so rate() and alerts on them work before the first occurrence.
  // publish_failed always carries a step, so it starts once per step and never without one.
  for (const kind of EDGE_ERROR_KINDS) if (kind !== 'publish_failed') errors.inc({ kind }, 0);
  for (const step of PUBLISH_STEPS) errors.inc({ kind: 'publish_failed', step }, 0);
  for (const reason of CONNECTION_CLOSE_REASONS) connectionsClosed.inc({ reason }, 0);
  for (const status of ['firing', 'resolved']) alerts.inc({ status }, 0);
  return {
    registry,
    notificationReceived: () => notifications.inc(),
    alertsReceived: (status, n) => alerts.inc({ status }, n),
    bonksPublished: (n) => published.inc(n),
    bonksCoalesced: (n) => coalesced.inc(n),
    bonksRepeated: (n) => repeated.inc(n),
    error: (kind, step) => errors.inc(step ? { kind, step } : { kind }),
    connectionClosed: (reason) => connectionsClosed.inc({ reason }),
    publishSeconds: (seconds) => publishSeconds.observe(seconds),
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}

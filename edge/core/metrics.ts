// What the edge counts, as a runtime-neutral interface, plus a dependency-free implementation for tests and workerd.
import type { PublishStep } from './publisher.ts';

export const EDGE_ERROR_KINDS = [
  'bad_json',
  'bad_shape',
  'too_large',
  'unsupported_type',
  'unsupported_encoding',
  'bad_encoding',
  'unauthorized',
  'publish_failed',
] as const;
export type EdgeErrorKind = (typeof EDGE_ERROR_KINDS)[number];

/**
 * Why the Node edge closed a connection itself: idle (no request and no byte for BONKER_EDGE_IDLE_TIMEOUT_MS),
 * keepalive (no further request within BONKER_EDGE_KEEPALIVE_TIMEOUT_MS of the last answer), request_timeout (Node's
 * 408: a request not complete within BONKER_EDGE_REQUEST_TIMEOUT_MS), limit (over BONKER_EDGE_MAX_CONNECTIONS).
 */
export const CONNECTION_CLOSE_REASONS = ['idle', 'keepalive', 'request_timeout', 'limit'] as const;
export type ConnectionCloseReason = (typeof CONNECTION_CLOSE_REASONS)[number];

export interface EdgeMetrics {
  notificationReceived(): void;
  alertsReceived(status: 'firing' | 'resolved', count: number): void;
  bonksPublished(count: number): void;
  bonksCoalesced(count: number): void;
  /** Bonks of re-sent alerts answered from stored-bonks.ts instead of being published again. */
  bonksRepeated(count: number): void;
  /** `step` only with publish_failed: which step of the publish failed. */
  error(kind: EdgeErrorKind, step?: PublishStep): void;
  /** Node only (workerd owns its connections): a connection the edge closed or refused. */
  connectionClosed(reason: ConnectionCloseReason): void;
  /** Time from starting the publish to the broker confirming every command. */
  publishSeconds(seconds: number): void;
  /** Prometheus text exposition. */
  render(): Promise<{ contentType: string; body: string }>;
}

export const METRIC_NAMES = {
  notifications: 'bonker_edge_notifications_total',
  alerts: 'bonker_edge_alerts_total',
  published: 'bonker_edge_bonks_published_total',
  coalesced: 'bonker_edge_bonks_coalesced_total',
  repeated: 'bonker_edge_bonks_repeated_total',
  errors: 'bonker_edge_errors_total',
  connectionsClosed: 'bonker_edge_connections_closed_total',
  publishSeconds: 'bonker_edge_publish_duration_seconds',
} as const;

export const PUBLISH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Counters kept in plain objects, rendered as Prometheus text; no prom-client, so it runs anywhere.
 * Tests read `counts` directly.
 */
export function createMemoryMetrics(): EdgeMetrics & { counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  const add = (key: string, n = 1) => {
    counts[key] = (counts[key] ?? 0) + n;
  };
  const latencies: number[] = [];
  return {
    counts,
    notificationReceived: () => add(METRIC_NAMES.notifications),
    alertsReceived: (status, n) => add(`${METRIC_NAMES.alerts}{status="${status}"}`, n),
    bonksPublished: (n) => add(METRIC_NAMES.published, n),
    bonksCoalesced: (n) => add(METRIC_NAMES.coalesced, n),
    bonksRepeated: (n) => add(METRIC_NAMES.repeated, n),
    error: (kind, step) => add(`${METRIC_NAMES.errors}{kind="${kind}"${step ? `,step="${step}"` : ''}}`),
    connectionClosed: (reason) => add(`${METRIC_NAMES.connectionsClosed}{reason="${reason}"}`),
    publishSeconds: (seconds) => void latencies.push(seconds),
    async render() {
      const lines = Object.entries(counts).map(([key, value]) => `${key} ${value}`);
      lines.push(...histogramLines(METRIC_NAMES.publishSeconds, latencies));
      return { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: `${lines.join('\n')}\n` };
    },
  };
}

function histogramLines(name: string, values: number[]): string[] {
  const lines = PUBLISH_BUCKETS.map((le) => `${name}_bucket{le="${le}"} ${values.filter((v) => v <= le).length}`);
  lines.push(`${name}_bucket{le="+Inf"} ${values.length}`);
  lines.push(`${name}_sum ${values.reduce((a, b) => a + b, 0)}`, `${name}_count ${values.length}`);
  return lines;
}

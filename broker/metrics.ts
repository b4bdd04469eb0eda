// Prometheus metrics of one broker, in a Registry of its own (several brokers in one process must not collide).
import { Counter, Gauge, Registry } from 'prom-client';
import type { Aedes } from 'aedes';
import type { StoreHealth } from './store-health.ts';

/** `client_id`: a user connecting with a client id that is not its own (or an empty id with a persistent session). */
export type RefusalKind = 'connect' | 'client_id' | 'publish' | 'subscribe';

/** Resource limits a connection can break (listeners.ts, packet-size-guard.ts); `protocol` = a header no size applies to. */
export const LIMIT_KINDS = ['connect_size', 'packet_size', 'protocol', 'connections', 'connect_timeout'] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];

export interface BrokerMetrics {
  registry: Registry;
  refused(kind: RefusalKind): void;
  /** Counts one connection cut for breaking a resource limit. */
  limitRefused(limit: LimitKind): void;
  /** Counts one message forwarded to one client; called from aedes' authorizeForward, which runs per delivery. */
  forwarded(): void;
  /** Counts one failed call into the store (store-health.ts). */
  storeFailed(operation: string): void;
  /** Hooks the broker's events and gauges up; call once the broker exists. */
  observe(aedes: Aedes, queuedMessages: () => number, store: StoreHealth): void;
}

export function createBrokerMetrics(): BrokerMetrics {
  const registry = new Registry();
  const refusals = new Counter({
    name: 'bonker_broker_refused_total',
    help: 'Connections, publishes and subscriptions refused by authentication or the ACL, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const messagesIn = new Counter({
    name: 'bonker_broker_messages_in_total',
    help: 'PUBLISH packets accepted from clients (wills included; the broker\'s own $SYS messages excluded)',
    registers: [registry],
  });
  const messagesOut = new Counter({
    name: 'bonker_broker_messages_out_total',
    help: 'Messages forwarded to subscribing clients, one per client per message (redeliveries after reconnect included)',
    registers: [registry],
  });
  for (const kind of ['connect', 'client_id', 'publish', 'subscribe'] as const) refusals.inc({ kind }, 0);
  const limitRefusals = new Counter({
    name: 'bonker_broker_limit_refusals_total',
    help:
      'Connections closed for breaking a resource limit: connect_size / packet_size (a header declaring more than ' +
      'the CONNECT / packet limit), protocol (first packet not CONNECT, or a malformed length), connections (over ' +
      'the connection limit), connect_timeout (no CONNECT within the deadline)',
    labelNames: ['limit'] as const,
    registers: [registry],
  });
  for (const limit of LIMIT_KINDS) limitRefusals.inc({ limit }, 0);
  const storeFailures = new Counter({
    name: 'bonker_broker_store_failures_total',
    help: 'Calls into the broker\'s store (LevelDB, Redis) that failed, by operation; while they fail, /readyz answers 503',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  return {
    registry,
    refused: (kind) => refusals.inc({ kind }),
    storeFailed: (operation) => storeFailures.inc({ operation }),
    limitRefused: (limit) => limitRefusals.inc({ limit }),
    forwarded: () => messagesOut.inc(),
    observe(aedes, queuedMessages, store) {
      new Gauge({
        name: 'bonker_broker_store_ok',
        help: '1 while the broker\'s store takes writes, 0 from a failed write until a write succeeds again',
        registers: [registry],
        collect() {
          this.set(store.failing() ? 0 : 1);
        },
      });
      aedes.on('publish', (_packet, client) => {
        if (client) messagesIn.inc();
      });
      new Gauge({
        name: 'bonker_broker_clients_connected',
        help: 'MQTT clients connected now',
        registers: [registry],
        collect() {
          this.set(aedes.connectedClients);
        },
      });
      new Gauge({
        name: 'bonker_broker_queued_messages',
        help:
          'QoS 1/2 messages this broker run stored for persistent-session clients and that are not acknowledged yet ' +
          '(in flight to online clients or waiting for offline ones); a backlog left by an earlier run is not counted',
        registers: [registry],
        collect() {
          this.set(queuedMessages());
        },
      });
    },
  };
}

// Prometheus metrics of one broker, in a Registry of its own (several brokers in one process must not collide).
import { Counter, Gauge, Registry } from 'prom-client';
import type { Aedes } from 'aedes';

export type RefusalKind = 'connect' | 'publish' | 'subscribe';

export interface BrokerMetrics {
  registry: Registry;
  refused(kind: RefusalKind): void;
  /** Counts one message forwarded to one client; called from aedes' authorizeForward, which runs per delivery. */
  forwarded(): void;
  /** Hooks the broker's events and gauges up; call once the broker exists. */
  observe(aedes: Aedes, queuedMessages: () => number): void;
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
  for (const kind of ['connect', 'publish', 'subscribe'] as const) refusals.inc({ kind }, 0);
  return {
    registry,
    refused: (kind) => refusals.inc({ kind }),
    forwarded: () => messagesOut.inc(),
    observe(aedes, queuedMessages) {
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

// Node entry of the edge: the Hono app on @hono/node-server, publishing through mqtt.js, metrics on prom-client.
import type { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createTopics, type Logger } from '../../contract/index.ts';
import { createEdgeApp } from '../core/app.ts';
import { mountDashboard } from './dashboard-routes.ts';
import type { EdgeConfig } from '../core/config.ts';
import type { EdgeMetrics } from '../core/metrics.ts';
import { createMqttPublisher } from './publisher.ts';
import { guardConnections } from './connections.ts';
import { createPromMetrics } from './metrics.ts';

export interface RunningEdge {
  port: number;
  host: string;
  /** 'ready' / 'unready' as the broker connection comes and goes (tests wait on these). */
  events: EventEmitter;
  close(): Promise<void>;
}

export async function startEdge(config: EdgeConfig, logger: Logger): Promise<RunningEdge> {
  const publisher = await createMqttPublisher({
    url: config.brokerUrl,
    username: config.mqttUsername,
    password: config.mqttPassword,
    topics: createTopics(config.topicPrefix),
    publishTimeoutMs: config.publishTimeoutMs,
    logger: logger.child({ module: 'mqtt-publisher' }),
  });
  const metrics = createPromMetrics({ defaultMetrics: true, brokerReady: () => publisher.isReady() });
  const app = createEdgeApp({ config, publisher, logger, metrics });
  // The dashboard page: Node only (files from disk), so it is mounted here and not in the runtime-neutral app.
  await mountDashboard(app, config).catch(async (error: unknown) => {
    await publisher.close();
    throw error;
  });
  let server: ServerType;
  let address: AddressInfo;
  try {
    ({ server, address } = await listen(app.fetch, config, metrics, logger));
  } catch (error) {
    await publisher.close();
    throw error;
  }
  logger.info(
    { host: config.host, port: address.port, auth: authKind(config), broker: config.brokerUrl },
    'edge listening',
  );
  return {
    port: address.port,
    host: config.host,
    events: publisher.events,
    async close() {
      // Stop taking requests and let the ones in flight finish before the broker connection goes.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await publisher.close();
    },
  };
}

function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  config: EdgeConfig,
  metrics: EdgeMetrics,
  logger: Logger,
) {
  return new Promise<{ server: ServerType; address: AddressInfo }>((resolve, reject) => {
    const server = serve({ fetch, port: config.port, hostname: config.host, serverOptions: timeouts(config) }, (address) => {
      server.off('error', reject);
      resolve({ server, address });
    });
    // Set before the first connection can arrive: serve() has only just called listen().
    guardConnections(server as Server, config, metrics.connectionClosed, logger.child({ module: 'edge-connections' }));
    server.once('error', reject);
  });
}

/**
 * Node answers 408 and closes the socket when a request (headers, or headers + body) is not complete in time, so a
 * client trickling bytes cannot hold a connection. Node checks only every connectionsCheckingInterval (30 s by
 * default), so check at a fraction of the timeout.
 */
function timeouts(config: EdgeConfig) {
  const ms = config.requestTimeoutMs;
  return { requestTimeout: ms, headersTimeout: ms, connectionsCheckingInterval: Math.max(50, Math.min(1_000, ms / 4)) };
}

/** Which credential the edge expects, for the start-up log; never the credential itself. */
function authKind(config: EdgeConfig): string {
  const kinds = [config.auth.token ? 'bearer' : '', config.auth.basic ? 'basic' : '', config.hmac ? 'hmac' : ''].filter(Boolean);
  return kinds.length ? kinds.join('+') : 'none (loopback only)';
}

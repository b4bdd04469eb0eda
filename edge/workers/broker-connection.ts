// Durable Object of BONKER_EDGE_WORKER_MODE=durable-object: runs the same edge app over one held broker connection.
import { DurableObject } from 'cloudflare:workers';
import type { Hono } from 'hono';
import { createEdgeApp } from '../core/app.ts';
import { createConsoleLogger } from './console-logger.ts';
import { createDurablePublisher } from './durable-publisher.ts';
import { createMemoryMetrics } from '../core/metrics.ts';
import { brokerLogin, configErrorResponse, loadWorkerConfig } from './config.ts';
import { connectTcp } from './connect-tcp.ts';

/** Name of the binding in infra/wrangler.toml; one object (one name) holds the one connection. */
export const BROKER_CONNECTION_BINDING = 'BONKER_BROKER_CONNECTION';
export const BROKER_CONNECTION_NAME = 'broker';

/**
 * Built on its first request (the settings come from the same bindings as the entry's) and kept while the object
 * lives, so the connection, ack subscription and /metrics counts span requests. If Cloudflare evicts the object, the
 * next request builds it again and reconnects.
 */
export class BrokerConnection extends DurableObject<Record<string, unknown>> {
  #app: Hono | undefined;

  /**
   * Called by the entry as RPC (`stub.answer(request)`), not through `stub.fetch`: in workerd (wrangler dev) the RPC
   * hop measured about 2 ms less per request than stub.fetch (bench/workers-phases.ts shows the hop).
   */
  async answer(request: Request): Promise<Response> {
    try {
      this.#app ??= buildApp(this.env);
    } catch (error) {
      return configErrorResponse(error);
    }
    return this.#app.fetch(request, this.env);
  }
}

function buildApp(env: Record<string, unknown>): Hono {
  const config = loadWorkerConfig(env);
  const logger = createConsoleLogger(config.logLevel, { module: 'edge-worker-do' });
  const { edge } = config;
  const publisher = createDurablePublisher({
    ...brokerLogin(config),
    timeoutMs: edge.publishTimeoutMs,
    keepaliveSeconds: 60,
    connect: connectTcp,
    logger: logger.child({ module: 'durable-publisher' }),
  });
  return createEdgeApp({ config: edge, publisher, logger, metrics: createMemoryMetrics() });
}

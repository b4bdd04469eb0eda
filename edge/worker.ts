// Cloudflare Workers entry of the edge: config from `env`, a console logger, the per-request workerd publisher, the app.
import { connect } from 'cloudflare:sockets';
import type { ExecutionContext } from 'hono';
import { ConfigError, createTopics } from '../contract/index.ts';
import { createEdgeApp } from './app.ts';
import { createConsoleLogger } from './console-logger.ts';
import { createMemoryMetrics } from './metrics.ts';
import { loadWorkerConfig, type WorkerConfig } from './worker-config.ts';
import { createWorkerdPublisher, type SocketConnector } from './workerd-publisher.ts';

const connectTcp: SocketConnector = ({ hostname, port, tls }) =>
  connect({ hostname, port }, { secureTransport: tls ? 'on' : 'off', allowHalfOpen: false });

/**
 * Metrics live as long as the isolate (Cloudflare may run several and recycle them), so /metrics shows one isolate's
 * counts; the broker connection lives as long as one request, because workerd forbids I/O across requests.
 */
export function createWorker(connector: SocketConnector = connectTcp) {
  const metrics = createMemoryMetrics();
  return {
    async fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext): Promise<Response> {
      let config: WorkerConfig;
      try {
        config = loadWorkerConfig(env);
      } catch (error) {
        return configErrorResponse(error);
      }
      const logger = createConsoleLogger(config.logLevel, { module: 'edge-worker' });
      const { edge } = config;
      const publisher = createWorkerdPublisher({
        address: config.broker,
        username: edge.mqttUsername,
        password: edge.mqttPassword,
        topics: createTopics(edge.topicPrefix),
        probeTimeoutMs: edge.publishTimeoutMs,
        idleSeconds: (edge.publishTimeoutMs + edge.ackTimeoutMs) / 1000,
        connect: connector,
        logger: logger.child({ module: 'workerd-publisher' }),
      });
      try {
        return await createEdgeApp({ config: edge, publisher, logger, metrics }).fetch(request, env, ctx);
      } finally {
        ctx.waitUntil(publisher.close());
      }
    },
  };
}

/** Bad settings are the operator's to fix: say which ones (never their values) on every request until they are. */
function configErrorResponse(error: unknown): Response {
  const problems = error instanceof ConfigError ? error.problems : [String(error)];
  createConsoleLogger('error').error({ problems }, 'invalid Worker configuration');
  return Response.json({ error: 'invalid Worker configuration', problems }, { status: 500 });
}

export default createWorker();

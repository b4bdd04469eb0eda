// Cloudflare Workers entry of the edge: config from `env`, a console logger, the app built once per isolate, and a
// workerd publisher per request (or, with BONKER_EDGE_WORKER_MODE=durable-object, forwarding to the BrokerConnection
// Durable Object).
import type { Context, ExecutionContext, Hono } from 'hono';
import { ConfigError } from '../../contract/index.ts';
import { createEdgeApp } from '../core/app.ts';
import { createMemoryMetrics, type EdgeMetrics } from '../core/metrics.ts';
import type { BonkPublisher } from '../core/publisher.ts';
import { readLimited } from '../core/read-limited.ts';
import { BROKER_CONNECTION_BINDING, BROKER_CONNECTION_NAME, type BrokerConnection } from './broker-connection.ts';
import { connectTcp } from './connect-tcp.ts';
import { createConsoleLogger } from './console-logger.ts';
import { brokerLogin, configErrorResponse, loadWorkerConfig, type WorkerConfig } from './config.ts';
import { createWorkerdPublisher, type SocketConnector } from './publisher.ts';

export { BrokerConnection } from './broker-connection.ts';

/** The part of a Durable Object namespace binding the entry uses (typed locally, like cloudflare:sockets). */
interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): Pick<BrokerConnection, 'answer'>;
}

/** What the app gets with each request (Hono's `c.env`): the request's own broker connection. */
interface RequestBindings {
  publisher: BonkPublisher;
}

/** The app of one env, and how each request makes its publisher. */
interface PerRequestEdge {
  app: Hono;
  newPublisher(): BonkPublisher;
}

/**
 * The app lives as long as the isolate (Cloudflare may run several and recycle them), and with it the metrics and the
 * repeat memory (BONKER_EDGE_REPEAT_WINDOW_S): /metrics shows one isolate's counts, and a re-sent alert is answered
 * from what this isolate stored. The broker connection lives as long as one request, because workerd forbids I/O
 * across requests.
 */
export function createWorker(connector: SocketConnector = connectTcp) {
  const metrics = createMemoryMetrics();
  // Settings derive from `env` only, which workerd hands every request of an isolate as the same object: parse them
  // and build the app once per env instead of per request. Settings that fail are read again on the next request.
  const configs = new WeakMap<object, WorkerConfig>();
  const edges = new WeakMap<object, PerRequestEdge>();
  return {
    async fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext): Promise<Response> {
      let config = configs.get(env);
      if (!config) {
        try {
          config = loadWorkerConfig(env);
        } catch (error) {
          return configErrorResponse(error);
        }
        configs.set(env, config);
      }
      if (config.mode === 'durable-object') return forwardToDurableObject(request, env, config.edge.bodyLimit);
      let edge = edges.get(env);
      if (!edge) edges.set(env, (edge = perRequestEdge(config, metrics, connector)));
      const publisher = edge.newPublisher();
      try {
        return await edge.app.fetch(request, { publisher } satisfies RequestBindings, ctx);
      } finally {
        ctx.waitUntil(publisher.close());
      }
    },
  };
}

function perRequestEdge(config: WorkerConfig, metrics: EdgeMetrics, connector: SocketConnector): PerRequestEdge {
  const logger = createConsoleLogger(config.logLevel, { module: 'edge-worker' });
  const { edge } = config;
  const publisherOf = (c: Context) => (c.env as RequestBindings).publisher;
  return {
    app: createEdgeApp({ config: edge, publisher: publisherOf, logger, metrics }),
    newPublisher: () =>
      createWorkerdPublisher({
        ...brokerLogin(config),
        probeTimeoutMs: edge.publishTimeoutMs,
        idleSeconds: (edge.publishTimeoutMs + edge.ackTimeoutMs) / 1000,
        connect: connector,
        logger: logger.child({ module: 'workerd-publisher' }),
      }),
  };
}

/**
 * One named object, so every request of every isolate shares its one broker connection. The body is read here first:
 * a streamed body the object answers without reading (401, 415) makes workerd fail with "Can't read from request
 * stream after response has been sent" and reset the request. Only bodyLimit + 1 bytes are ever held: enough for the
 * app in the object to answer 413 itself, never a whole oversized upload.
 */
async function forwardToDurableObject(request: Request, env: Record<string, unknown>, bodyLimit: number): Promise<Response> {
  const namespace = env[BROKER_CONNECTION_BINDING] as DurableObjectNamespaceLike | undefined;
  if (!namespace || typeof namespace.idFromName !== 'function') {
    return configErrorResponse(
      new ConfigError([`${BROKER_CONNECTION_BINDING}: expected a Durable Object binding (infra/wrangler.toml) in durable-object mode`]),
    );
  }
  const read = request.body ? await readLimited(request.body, bodyLimit) : undefined;
  const headers = new Headers(request.headers);
  // A cut body no longer matches its content-length; the app counts the bytes it gets instead.
  if (read?.over) headers.delete('content-length');
  const body = read?.bytes;
  return namespace.get(namespace.idFromName(BROKER_CONNECTION_NAME)).answer(new Request(request, { body, headers }));
}

export default createWorker();

// A child process of the bench: `tsx bench/role.ts broker|edge|bare-hono|device`, reporting over IPC.
// Each part runs in its own process, as in production, so they do not share one event loop with the load generator.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { loadBrokerConfig } from '../broker/config.ts';
import { startBroker } from '../broker/start-broker.ts';
import { createLogger } from '../cli/logger.ts';
import { createTopics, type Logger } from '../contract/index.ts';
import { loadDeviceConfig } from '../device/config.ts';
import { createSimulatedServo } from '../device/servo/simulated.ts';
import { startDevice } from '../device/start-device.ts';
import { createEdgeApp } from '../edge/core/app.ts';
import { loadEdgeConfig } from '../edge/core/config.ts';
import { createMqttPublisher } from '../edge/node/publisher.ts';
import { createPromMetrics } from '../edge/node/metrics.ts';
import { makeTempDir } from '../test/helpers/temp-dir.ts';
import { preciseNow } from './stats.ts';

type Closer = () => Promise<void>;
const send = (message: object) => process.send?.(message);
const env = process.env as Record<string, string>;

/** The bundled broker as shipped: LevelDB persistence, in a temp dir removed on close. */
async function broker(logger: Logger): Promise<Closer> {
  const dir = await makeTempDir('bonker-bench-broker-');
  const running = await startBroker(
    loadBrokerConfig({ ...env, BONKER_BROKER_PORT: '0', BONKER_BROKER_WS_PORT: 'off', BONKER_BROKER_HTTP_PORT: 'off', BONKER_DATA_DIR: dir.path }),
    logger,
  );
  send({ type: 'ready', port: running.mqttPort });
  return async () => {
    await running.close();
    await dir.remove();
  };
}

/** The Node edge of edge/node/main.ts, but with a sub-millisecond clock for the commands' `at` (figure 2). */
async function edge(logger: Logger): Promise<Closer> {
  const config = loadEdgeConfig({ ...env, BONKER_EDGE_PORT: '0' });
  const publisher = await createMqttPublisher({
    url: config.brokerUrl, topics: createTopics(config.topicPrefix), publishTimeoutMs: config.publishTimeoutMs, logger,
  });
  const app = createEdgeApp({ config, publisher, logger, metrics: createPromMetrics({ defaultMetrics: true }), now: preciseNow });
  const close = await listen(app);
  return async () => {
    await close();
    await publisher.close();
  };
}

/** Baseline (a) of figure 1: a Hono route that only parses the same JSON. */
async function bareHono(): Promise<Closer> {
  const app = new Hono();
  app.post('/alertmanager', async (c) => {
    const body = (await c.req.json()) as { alerts?: unknown[] };
    return c.json({ alerts: body.alerts?.length ?? 0 });
  });
  return listen(app);
}

function listen(app: Hono): Promise<Closer> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (address: AddressInfo) => {
      send({ type: 'ready', port: address.port });
      resolve(() => new Promise<void>((done) => server.close(() => done())));
    });
  });
}

/** The agent with a simulated servo on the precise clock; reports each command's first strike pulse. */
async function device(logger: Logger): Promise<Closer> {
  const dir = await makeTempDir('bonker-bench-device-');
  const config = loadDeviceConfig({ ...env, BONKER_STATE_DIR: dir.path });
  const servo = createSimulatedServo({ now: preciseNow });
  let pending: { id: string; at: number } | undefined;
  const running = await startDevice(config, logger, { servo });
  running.events.on('bonk', (command: { id: string; at: number }, strike: number) => {
    if (strike === 1) pending = { id: command.id, at: command.at };
  });
  servo.events.on('pulse', (pulse: { at: number; us: number }) => {
    if (!pending || pulse.us !== config.motion.strikeUs) return;
    send({ type: 'strike', id: pending.id, at: pending.at, pulse: pulse.at });
    pending = undefined;
  });
  send({ type: 'ready' });
  return async () => {
    await running.close();
    await dir.remove();
  };
}

const roles: Record<string, (logger: Logger) => Promise<Closer>> = { broker, edge, 'bare-hono': bareHono, device };
const role = roles[process.argv[2] ?? ''];
if (!role) throw new Error(`unknown bench role ${process.argv[2]}`);
const close = await role(createLogger(env.BONKER_LOG_LEVEL ?? 'info', `bench-${process.argv[2]}`));
let closing = false;
const shutdown = () => {
  if (closing) return;
  closing = true;
  close().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGTERM', shutdown);
process.on('disconnect', shutdown);

// Each step a publish can fail at, against real brokers and through every publisher: the 503 and the metric say which
// (not connected / not confirmed in time / connection dropped during the publish, as Aedes refuses or fails a store).
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import memoryPersistence from 'aedes-persistence';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createTopics, silentLogger } from '../../contract/index.ts';
import { fixtures } from '../../test/fixtures/index.ts';
import { startSilentBroker } from '../../test/helpers/silent-broker.ts';
import { startTestBroker } from '../../test/helpers/test-broker.ts';
import { waitForEvent } from '../../test/helpers/wait.ts';
import { createEdgeApp } from './app.ts';
import { loadEdgeConfig } from './config.ts';
import { createDurablePublisher } from '../workers/durable-publisher.ts';
import { createMemoryMetrics } from './metrics.ts';
import { connectNodeSocket } from '../../test/helpers/node-socket-connector.ts';
import { startEdge } from '../node/main.ts';
import type { BonkPublisher } from './publisher.ts';
import { createWorkerdPublisher } from '../workers/publisher.ts';

const TIMEOUT_MS = 300;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Broker {
  port: number;
  url: string;
  /** PUBLISH packets the broker saw (refused or stored). */
  publishes: () => number;
}

/** Nothing listens: the port of a broker that was started and stopped. */
async function stoppedBroker(): Promise<Broker> {
  const broker = await startTestBroker();
  await broker.close();
  return { port: broker.port, url: broker.url, publishes: () => 0 };
}

async function silentBroker(): Promise<Broker> {
  const broker = await startSilentBroker();
  cleanups.push(() => broker.close());
  return { port: broker.port, url: broker.url, publishes: () => broker.published.length };
}

/** Aedes closes the connection when authorizePublish refuses (MQTT 3.1.1 has no negative PUBREC). */
async function refusingBroker(): Promise<Broker> {
  let seen = 0;
  return aedesBroker({
    authorizePublish: (_client, _packet, callback) => {
      seen += 1;
      callback(new Error('bonks refused by this broker'));
    },
  }, () => seen);
}

/**
 * What a full disk does to Aedes: storing the bonk for an offline persistent session fails (ENOSPC), aedes' publish
 * handler gets the error and closes the connection, with no PUBREC. The same was seen with LevelDB on a full tmpfs.
 */
async function fullDiskBroker(): Promise<Broker> {
  // The package's types describe its class; the default export is a factory of the same.
  const persistence = (memoryPersistence as unknown as () => { outgoingEnqueueCombi: (...args: unknown[]) => Promise<void> })();
  let seen = 0;
  persistence.outgoingEnqueueCombi = async () => {
    seen += 1;
    throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  };
  const broker = await aedesBroker({ persistence } as Parameters<typeof Aedes.createBroker>[0], () => seen);
  // The device's persistent session, offline: every bonk must be written to the store for it.
  const device = await mqtt.connectAsync(broker.url, { clientId: 'bonker-device-tux', clean: false, protocolVersion: 4 });
  await device.subscribeAsync('bonker/tux/bonk', { qos: 1 });
  await device.endAsync();
  return broker;
}

async function aedesBroker(options: Parameters<typeof Aedes.createBroker>[0], publishes: () => number): Promise<Broker> {
  const aedes = await Aedes.createBroker(options);
  const server = net.createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => aedes.close(() => resolve()))));
  return { port, url: `mqtt://127.0.0.1:${port}`, publishes };
}

const env = (url: string) => ({ BONKER_BROKER_URL: url, BONKER_EDGE_PUBLISH_TIMEOUT_MS: String(TIMEOUT_MS), BONKER_EDGE_REPEAT_WINDOW_S: '0' });
const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fixtures.firingOne) };

const CASES = [
  ['a stopped broker', 'not_connected', stoppedBroker, /^bonks not stored by the broker: not connected to the MQTT broker; nothing was published \(.*ECONNREFUSED/],
  ['a broker that never confirms', 'timeout', silentBroker, /^bonks not confirmed by the broker within 300 ms \(BONKER_EDGE_PUBLISH_TIMEOUT_MS\): it did not answer in time/],
  ['a broker that refuses the publish', 'refused', refusingBroker, /^bonks not stored by the broker: it closed the connection during the publish instead of confirming it/],
  ['a broker whose disk is full', 'refused', fullDiskBroker, /^bonks not stored by the broker: it closed the connection during the publish .*disk is full/],
] as const;

describe('the Node edge (mqtt.js) names the failed step', () => {
  it.each(CASES)('%s → 503, step %s', async (_, step, start, error) => {
    const broker = await start();
    const edge = await startEdge(loadEdgeConfig({ ...env(broker.url), BONKER_EDGE_PORT: '0' }), silentLogger);
    cleanups.push(() => edge.close());
    const base = `http://127.0.0.1:${edge.port}`;
    if (step !== 'not_connected' && !(await fetch(`${base}/readyz`)).ok) await waitForEvent(edge.events, 'ready');
    const response = await fetch(`${base}/alertmanager`, post);
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: string }).error).toMatch(error);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^bonker_edge_errors_total\\{kind="publish_failed",step="${step}"\\} 1$`, 'm'));
    // The refusing brokers saw the bonk (and refused it or failed to store it) exactly once.
    if (step === 'refused') expect(broker.publishes()).toBe(1);
  });

  it('does not send a refused bonk again on reconnecting, and says why it is not connected meanwhile', async () => {
    const broker = await refusingBroker();
    const edge = await startEdge(loadEdgeConfig({ ...env(broker.url), BONKER_EDGE_PORT: '0' }), silentLogger);
    cleanups.push(() => edge.close());
    const base = `http://127.0.0.1:${edge.port}`;
    if (!(await fetch(`${base}/readyz`)).ok) await waitForEvent(edge.events, 'ready');
    const unready = waitForEvent(edge.events, 'unready');
    expect((await fetch(`${base}/alertmanager`, post)).status).toBe(503);
    await unready;
    const meanwhile = (await (await fetch(`${base}/alertmanager`, post)).json()) as { error: string };
    expect(meanwhile.error).toMatch(/: not connected .*\(the last connection was closed by the broker during a publish\)$/);
    await waitForEvent(edge.events, 'ready', { timeoutMs: 5_000 });
    expect(broker.publishes()).toBe(1);
  });
});

type PublisherFactory = (port: number) => BonkPublisher;
const address = (port: number) => ({ hostname: '127.0.0.1', port, tls: false });
const PUBLISHERS: [string, PublisherFactory][] = [
  [
    'the Worker (a connection per request)',
    (port) =>
      createWorkerdPublisher({
        address: address(port), topics: createTopics(), probeTimeoutMs: TIMEOUT_MS, idleSeconds: 5, connect: connectNodeSocket, logger: silentLogger,
      }),
  ],
  [
    'the Durable Object (one held connection)',
    (port) =>
      createDurablePublisher({
        address: address(port), topics: createTopics(), timeoutMs: TIMEOUT_MS, keepaliveSeconds: 60, connect: connectNodeSocket, logger: silentLogger,
      }),
  ],
];

describe.each(PUBLISHERS)('%s names the failed step (same app, over a Node socket)', (_, create) => {
  it.each(CASES)('%s → 503, step %s', async (_case, step, start, error) => {
    const broker = await start();
    const publisher = create(broker.port);
    cleanups.push(() => publisher.close());
    const metrics = createMemoryMetrics();
    const app = createEdgeApp({ config: loadEdgeConfig(env(broker.url)), publisher, logger: silentLogger, metrics });
    const response = await app.request('/alertmanager', post);
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: string }).error).toMatch(error);
    expect(metrics.counts[`bonker_edge_errors_total{kind="publish_failed",step="${step}"}`]).toBe(1);
  });
});

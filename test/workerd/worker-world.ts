// The Worker under test in wrangler dev, a real Aedes it publishes to, and a subscriber that records every bonk.
import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import { expect } from 'vitest';
import { parseBonkPayload, silentLogger } from '../../contract/index.ts';
import { testBrokerConfig } from '../helpers/broker-test-support.ts';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { fixtures } from '../fixtures/index.ts';
import { waitUntil } from '../helpers/wait.ts';
import { startWranglerDev, type WranglerDev } from './wrangler-dev.ts';

export interface WorkerWorld {
  readonly broker: RunningBroker;
  worker: WranglerDev;
  /** Every bonk the broker delivered on `bonker/+/bonk`, in order. */
  received: { topic: string; id: string }[];
  post(body: unknown, token?: string): Promise<Response>;
  /** Resolves once `n` bonks in all have been received. */
  arrived(n: number): Promise<void>;
  /** Stops the broker; `restartBroker` brings a fresh one up on the same port. */
  stopBroker(): Promise<void>;
  restartBroker(): Promise<void>;
  close(): Promise<void>;
}

/** No BONKER_EDGE_HOST: the Worker treats itself as public, so the token is what lets it start at all. */
export async function startWorkerWorld(token: string, vars: Record<string, string> = {}): Promise<WorkerWorld> {
  const events = new EventEmitter();
  const received: WorkerWorld['received'] = [];
  let broker = await startBroker(testBrokerConfig(), silentLogger);
  const port = broker.mqttPort;
  let subscriber: MqttClient | undefined = await subscribe(port, received, events);
  const worker = await startWranglerDev({
    BONKER_BROKER_URL: `mqtt://127.0.0.1:${port}`,
    BONKER_EDGE_TOKEN: token,
    BONKER_EDGE_PUBLISH_TIMEOUT_MS: '2000',
    ...vars,
  });
  const stopBroker = async () => {
    await subscriber?.endAsync(true);
    subscriber = undefined;
    await broker.close();
  };
  return {
    get broker() {
      return broker;
    },
    worker,
    received,
    post: (body, bearer = token) =>
      fetch(`${worker.url}/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        body: JSON.stringify(body),
      }),
    arrived: (n) => waitUntil(events, 'bonk', () => received.length >= n, 10_000),
    stopBroker,
    async restartBroker() {
      await stopBroker();
      broker = await startBroker(testBrokerConfig({ BONKER_BROKER_PORT: String(port) }), silentLogger);
      subscriber = await subscribe(port, received, events);
    },
    async close() {
      await worker.close();
      await stopBroker();
    },
  };
}

/**
 * Posts `bodies` all at once, each an alert of its own: every answer is 200, and the ids the answers report are exactly
 * the bonks that arrived, each once.
 */
export async function expectConcurrentPostsPublished(world: WorkerWorld, bodies: unknown[]): Promise<void> {
  const start = world.received.length;
  const responses = await Promise.all(bodies.map((body) => world.post(body)));
  const answers = await Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as { published: string[] } })));
  expect(answers.map((a) => a.status)).toEqual(Array(bodies.length).fill(200));
  await world.arrived(start + bodies.length);
  const ids = new Set(world.received.slice(start).map((r) => r.id));
  expect(ids.size).toBe(bodies.length);
  expect(new Set(answers.flatMap((a) => a.body.published))).toEqual(ids);
}

/** A firing notification for an alert of its own: distinct fingerprint, so a distinct bonk id. */
export function distinctAlert(i: number, prefix = 'f') {
  const alert = { ...fixtures.firingOne.alerts[0]!, fingerprint: `${prefix}${String(i).padStart(15, '0')}` };
  return { ...fixtures.firingOne, alerts: [alert] };
}

async function subscribe(port: number, received: WorkerWorld['received'], events: EventEmitter): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 0 });
  client.on('message', (topic, payload) => {
    const parsed = parseBonkPayload(payload, { newId: () => 'manual', now: Date.now });
    if (!parsed.ok) return;
    received.push({ topic, id: parsed.command.id });
    events.emit('bonk');
  });
  await client.subscribeAsync('bonker/+/bonk', { qos: 2 });
  return client;
}

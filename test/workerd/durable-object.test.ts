// The edge Worker in Durable Object mode inside workerd (wrangler dev): one held broker connection, a real Aedes.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertBonkId, parseBonkPayload, silentLogger } from '../../contract/index.ts';
import { testBrokerConfig } from '../../broker/test-support.ts';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { fixtures } from '../fixtures/index.ts';
import { waitUntil } from '../helpers/wait.ts';
import { errorLines, startWranglerDev, type WranglerDev } from './wrangler-dev.ts';

const TOKEN = 'workerd-do-test-token';
let broker: RunningBroker;
let worker: WranglerDev;
let subscriber: MqttClient;
const received: { topic: string; id: string }[] = [];

async function startSubscriber(url: string) {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  await client.subscribeAsync('bonker/+/bonk', { qos: 2 });
  client.on('message', (topic, payload) => {
    const parsed = parseBonkPayload(payload, { newId: () => 'manual', now: Date.now });
    if (parsed.ok) received.push({ topic, id: parsed.command.id });
  });
  return client;
}

beforeAll(async () => {
  broker = await startBroker(testBrokerConfig(), silentLogger);
  const url = `mqtt://127.0.0.1:${broker.mqttPort}`;
  subscriber = await startSubscriber(url);
  worker = await startWranglerDev({
    BONKER_BROKER_URL: url,
    BONKER_EDGE_TOKEN: TOKEN,
    BONKER_EDGE_PUBLISH_TIMEOUT_MS: '2000',
    BONKER_EDGE_WORKER_MODE: 'durable-object',
  });
}, 60_000);

afterAll(async () => {
  await worker?.close();
  await subscriber?.endAsync(true);
  await broker?.close();
});

const post = (body: unknown, token = TOKEN) =>
  fetch(`${worker.url}/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });

const arrived = (n: number) => waitUntil(subscriber as never, 'message', () => received.length >= n, 10_000);

function distinctAlert(i: number) {
  const alert = { ...fixtures.firingOne.alerts[0]!, fingerprint: `d${String(i).padStart(15, '0')}` };
  return { ...fixtures.firingOne, alerts: [alert] };
}

/** Client ids of the edge's held connections, as the broker sees them. */
const edgeClients = () =>
  Object.keys((broker.aedes as unknown as { clients: Record<string, unknown> }).clients).filter((id) => id.startsWith('bonker-edge-do-'));

describe('the edge Worker in Durable Object mode', () => {
  it('publishes a firing alert to bonker/tux/bonk with the episode id', async () => {
    const response = await post(fixtures.firingOne);
    const id = await alertBonkId(fixtures.firingOne.alerts[0]!);
    expect(await response.json()).toEqual({ published: [id], coalesced: 0 });
    await arrived(1);
    expect(received).toEqual([{ topic: 'bonker/tux/bonk', id }]);
  });

  it('keeps ONE broker connection across requests', async () => {
    const first = edgeClients();
    expect(first).toHaveLength(1);
    expect((await post(distinctAlert(1000))).status).toBe(200);
    expect(edgeClients()).toEqual(first);
  });

  it('publishes 50 concurrent notifications, all answered 200, over the same connection', async () => {
    const start = received.length;
    const before = edgeClients();
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => post(distinctAlert(i))));
    const answers = await Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as { published: string[] } })));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    await arrived(start + 50);
    const ids = new Set(received.slice(start).map((r) => r.id));
    expect(ids.size).toBe(50);
    expect(new Set(answers.flatMap((a) => a.body.published))).toEqual(ids);
    expect(edgeClients()).toEqual(before);
    expect(errorLines(worker.output)).toEqual([]);
  });

  it('answers 401 to a wrong token', async () => {
    expect((await post(distinctAlert(99), 'not-the-token')).status).toBe(401);
  });

  it('reconnects on the next request after the broker restarted, answering 200 at once', async () => {
    const port = broker.mqttPort;
    await subscriber.endAsync(true);
    await broker.close();
    broker = await startBroker(testBrokerConfig({ BONKER_BROKER_PORT: String(port) }), silentLogger);
    subscriber = await startSubscriber(`mqtt://127.0.0.1:${port}`);
    const start = received.length;
    const response = await post(distinctAlert(2000));
    expect(response.status).toBe(200);
    await arrived(start + 1);
    expect(edgeClients()).toHaveLength(1);
  });

  // Last: it closes the broker.
  it('answers 503 while the broker is down, and /readyz says not ready', async () => {
    await broker.close();
    const response = await post(distinctAlert(3000));
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: string }).error).toMatch(/not stored by the broker/);
    expect((await fetch(`${worker.url}/readyz`)).status).toBe(503);
    expect(worker.output.join('\n')).not.toContain(TOKEN);
  });
});

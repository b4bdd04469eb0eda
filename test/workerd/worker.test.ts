// The edge Worker inside workerd (wrangler dev) publishing to a real Aedes on loopback: the required cases.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertBonkId, parseBonkPayload, silentLogger } from '../../contract/index.ts';
import { testBrokerConfig } from '../../broker/test-support.ts';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { fixtures } from '../fixtures/index.ts';
import { waitUntil } from '../helpers/wait.ts';
import { errorLines, startWranglerDev, type WranglerDev } from './wrangler-dev.ts';

const TOKEN = 'workerd-test-token';
let broker: RunningBroker;
let worker: WranglerDev;
let subscriber: MqttClient;
const received: { topic: string; id: string }[] = [];

beforeAll(async () => {
  broker = await startBroker(testBrokerConfig(), silentLogger);
  const url = `mqtt://127.0.0.1:${broker.mqttPort}`;
  subscriber = await mqtt.connectAsync(url, { protocolVersion: 4 });
  await subscriber.subscribeAsync('bonker/+/bonk', { qos: 2 });
  subscriber.on('message', (topic, payload) => {
    const parsed = parseBonkPayload(payload, { newId: () => 'manual', now: Date.now });
    if (parsed.ok) received.push({ topic, id: parsed.command.id });
  });
  // No BONKER_EDGE_HOST: the Worker treats itself as public, so the token is what lets it start at all.
  worker = await startWranglerDev({ BONKER_BROKER_URL: url, BONKER_EDGE_TOKEN: TOKEN, BONKER_EDGE_PUBLISH_TIMEOUT_MS: '2000' });
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

/** A firing notification for an alert of its own: distinct fingerprint, so a distinct bonk id. */
function distinctAlert(i: number) {
  const alert = { ...fixtures.firingOne.alerts[0]!, fingerprint: `f${String(i).padStart(15, '0')}` };
  return { ...fixtures.firingOne, alerts: [alert] };
}

describe('the edge Worker in workerd', () => {
  it('publishes a firing alert to bonker/tux/bonk with the episode id', async () => {
    const response = await post(fixtures.firingOne);
    const id = await alertBonkId(fixtures.firingOne.alerts[0]!);
    expect(await response.json()).toEqual({ published: [id], coalesced: 0 });
    await arrived(1);
    expect(received).toEqual([{ topic: 'bonker/tux/bonk', id }]);
  });

  it('answers /readyz after a CONNECT/CONNACK round trip', async () => {
    const response = await fetch(`${worker.url}/readyz`);
    expect(response.status).toBe(200);
  });

  it('publishes 50 concurrent notifications, all answered 200, with no errors in workerd', async () => {
    const start = received.length;
    const bodies = Array.from({ length: 50 }, (_, i) => distinctAlert(i));
    const responses = await Promise.all(bodies.map((body) => post(body)));
    const answers = await Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as { published: string[] } })));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    await arrived(start + 50);
    const ids = new Set(received.slice(start).map((r) => r.id));
    expect(ids.size).toBe(50);
    expect(new Set(answers.flatMap((a) => a.body.published))).toEqual(ids);
    expect(errorLines(worker.output)).toEqual([]);
  });

  it('answers 401 to a wrong token and publishes nothing', async () => {
    const before = received.length;
    const response = await post(distinctAlert(99), 'not-the-token');
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toMatch(/not accepted/);
    expect(worker.output.join('\n')).not.toContain('not-the-token');
    expect(received.length).toBe(before);
  });

  it('never logs the token', () => {
    expect(worker.output.join('\n')).not.toContain(TOKEN);
  });

  // Last: it closes the broker.
  it('answers 503 when the broker is down, and /readyz says not ready', async () => {
    await broker.close();
    const response = await post(distinctAlert(100));
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: string }).error).toMatch(/not stored by the broker: not connected/);
    const ready = await fetch(`${worker.url}/readyz`);
    expect(ready.status).toBe(503);
  });
});

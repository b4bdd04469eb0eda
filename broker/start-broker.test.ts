// All listeners at once: MQTT over WebSocket and TLS (self-signed cert made here), /healthz and /metrics, idempotent close.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { createTopics, silentLogger } from '../contract/index.ts';
import { waitForEvent, waitUntil } from '../test/helpers/wait.ts';
import { startBroker, type RunningBroker } from './start-broker.ts';
import { asEmitter, makeTempDir, testBrokerConfig } from '../test/helpers/broker-test-support.ts';

const topic = createTopics().bonk('tux');
let broker: RunningBroker;
let cert: Buffer;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const dir = await makeTempDir();
  cleanups.push(dir.remove);
  const [certPath, keyPath] = [join(dir.path, 'cert.pem'), join(dir.path, 'key.pem')];
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyPath, '-out', certPath,
  ]);
  cert = await readFile(certPath);
  const config = testBrokerConfig({
    BONKER_BROKER_WS_PORT: '0', BONKER_BROKER_HTTP_PORT: '0', BONKER_BROKER_TLS_PORT: '0',
    BONKER_BROKER_TLS_CERT: certPath, BONKER_BROKER_TLS_KEY: keyPath,
  });
  broker = await startBroker(config, silentLogger);
  cleanups.push(broker.close);
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, ...options });
  cleanups.push(() => client.endAsync(true));
  await waitForEvent(asEmitter(client), 'connect');
  return client;
}

const get = (path: string) => fetch(`http://127.0.0.1:${broker.httpPort}${path}`);

describe('startBroker listeners', () => {
  it('reports the real ports it bound', () => {
    const ports = [broker.mqttPort, broker.wsPort, broker.tlsPort, broker.httpPort];
    expect(ports.every((port) => typeof port === 'number' && port > 0)).toBe(true);
    expect(new Set(ports).size).toBe(4);
  });

  it('relays from a WebSocket client to a TLS client verified against the test certificate', async () => {
    const viaTls = await open(`mqtts://127.0.0.1:${broker.tlsPort}`, { ca: cert, rejectUnauthorized: true });
    await viaTls.subscribeAsync(topic, { qos: 1 });
    const viaWs = await open(`ws://127.0.0.1:${broker.wsPort}`);
    await viaWs.publishAsync(topic, 'over-ws', { qos: 1 });
    const [, payload] = await waitForEvent<[string, Buffer]>(asEmitter(viaTls), 'message');
    expect(payload.toString()).toBe('over-ws');
  });

  it('answers /healthz and /metrics from its own registry', async () => {
    const health = await get('/healthz');
    expect([health.status, await health.text()]).toEqual([200, 'ok']);
    expect((await get('/nope')).status).toBe(404);

    const subscriber = await open(`mqtt://127.0.0.1:${broker.mqttPort}`, { clientId: 'metrics-sub', clean: false });
    await subscriber.subscribeAsync(topic, { qos: 1 });
    const publisher = await open(`mqtt://127.0.0.1:${broker.mqttPort}`);
    await publisher.publishAsync(topic, 'counted', { qos: 1 });
    await waitUntil(asEmitter(subscriber), 'message', () => true);

    const text = await (await get('/metrics')).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('bonker_broker_clients_connected')).toBeGreaterThanOrEqual(2);
    expect(value('bonker_broker_messages_in_total')).toBeGreaterThanOrEqual(1);
    expect(value('bonker_broker_messages_out_total')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^bonker_broker_refused_total\{kind="connect"\} 0$/m);
    expect(value('bonker_broker_queued_messages')).toBeGreaterThanOrEqual(0);
    // Not the global registry: no default process metrics leak in.
    expect(text).not.toMatch(/process_cpu/);
  });

  it('counts messages queued for an offline persistent client', async () => {
    const read = async () => Number(/^bonker_broker_queued_messages (\S+)$/m.exec(await (await get('/metrics')).text())?.[1]);
    const away = await open(`mqtt://127.0.0.1:${broker.mqttPort}`, { clientId: 'queue-sub', clean: false });
    await away.subscribeAsync(createTopics().bonk('queue'), { qos: 1 });
    await away.endAsync();
    const before = await read();
    const publisher = await open(`mqtt://127.0.0.1:${broker.mqttPort}`);
    await publisher.publishAsync(createTopics().bonk('queue'), 'waiting', { qos: 2 });
    expect(await read()).toBe(before + 1);
  });

  it('closes idempotently', async () => {
    const extra = await startBroker(testBrokerConfig(), silentLogger);
    await Promise.all([extra.close(), extra.close()]);
    await extra.close();
    const client = mqtt.connect(`mqtt://127.0.0.1:${extra.mqttPort}`, { reconnectPeriod: 0, connectTimeout: 2_000 });
    cleanups.push(() => client.endAsync(true));
    await waitForEvent(asEmitter(client), 'error');
  });
});

// Durability: QoS 2 messages queued for an offline persistent subscriber survive a broker restart on the same data dir.
import { afterEach, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { createTopics, silentLogger } from '../contract/index.ts';
import { waitForEvent, waitUntil } from '../test/helpers/wait.ts';
import { startBroker, type RunningBroker } from './start-broker.ts';
import { asEmitter, makeTempDir, testBrokerConfig } from '../test/helpers/broker-test-support.ts';

const topic = createTopics().bonk('tux');
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function connect(broker: RunningBroker, options: mqtt.IClientOptions): MqttClient {
  const client = mqtt.connect(`mqtt://127.0.0.1:${broker.mqttPort}`, { reconnectPeriod: 0, manualConnect: true, ...options });
  cleanups.push(() => client.endAsync(true));
  return client;
}

describe('level persistence', () => {
  it('delivers QoS 2 messages queued while the subscriber was away, after a broker restart', async () => {
    const dir = await makeTempDir();
    cleanups.push(dir.remove);
    const config = testBrokerConfig({ BONKER_PERSISTENCE: 'level', BONKER_DATA_DIR: dir.path });
    const first = await startBroker(config, silentLogger);
    cleanups.push(first.close);

    const away = connect(first, { clientId: 'tux-durable', clean: false });
    away.connect();
    await waitForEvent(asEmitter(away), 'connect');
    await away.subscribeAsync(topic, { qos: 1 });
    await away.endAsync();

    const publisher = connect(first, { clientId: 'edge-durable' });
    publisher.connect();
    await waitForEvent(asEmitter(publisher), 'connect');
    for (const n of [1, 2, 3]) await publisher.publishAsync(topic, `bonk-${n}`, { qos: 2 });
    await publisher.endAsync();
    await first.close();

    const second = await startBroker(config, silentLogger);
    cleanups.push(second.close);
    const back = connect(second, { clientId: 'tux-durable', clean: false });
    const received: string[] = [];
    // Attached before connecting: queued messages arrive right after CONNACK (docs/mqtt-clients.md).
    back.on('message', (_topic, payload) => received.push(payload.toString()));
    back.connect();
    const [connack] = await waitForEvent<[{ sessionPresent: boolean }]>(asEmitter(back), 'connect');
    expect(connack.sessionPresent).toBe(true);
    await waitUntil(asEmitter(back), 'message', () => received.length >= 3);
    expect(received.sort()).toEqual(['bonk-1', 'bonk-2', 'bonk-3']);
  });
});

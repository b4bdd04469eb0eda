// Proof that no acknowledged bonk is stranded: a burst of QoS 2 publishes all reach an online persistent subscriber.
import { afterEach, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { createTopics, silentLogger } from '../contract/index.ts';
import { waitForEvent, waitUntil } from '../test/helpers/wait.ts';
import { startBroker, type RunningBroker } from './start-broker.ts';
import { asEmitter, makeTempDir, testBrokerConfig } from '../test/helpers/broker-test-support.ts';

const TOTAL = 5_000;
const IN_FLIGHT = 100;
// BONKER_TEST_UNORDERED=1 turns our ordering off, to show this test catches the upstream bug (see the report); it
// turns exact-dedupe.ts off too, which on its own would already keep out-of-order enqueues from being dropped.
const ORDERED = process.env.BONKER_TEST_UNORDERED !== '1';
const topic = createTopics().bonk('tux');
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function connect(broker: RunningBroker, options: mqtt.IClientOptions): Promise<MqttClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${broker.mqttPort}`, { reconnectPeriod: 0, ...options });
  cleanups.push(() => client.endAsync(true));
  await waitForEvent(asEmitter(client), 'connect');
  return client;
}

async function publishBurst(publisher: MqttClient): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < TOTAL) await publisher.publishAsync(topic, `bonk-${next++}`, { qos: 2 });
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

async function burst(persistence: 'level' | 'memory') {
  const dir = await makeTempDir();
  cleanups.push(dir.remove);
  const config = testBrokerConfig({ BONKER_PERSISTENCE: persistence, BONKER_DATA_DIR: dir.path });
  const broker = await startBroker(config, silentLogger, { orderOutgoing: ORDERED, raceGuards: ORDERED });
  cleanups.push(broker.close);

  const subscriber = await connect(broker, { clientId: 'tux-no-strand', clean: false });
  let interruptions = 0;
  subscriber.on('close', () => interruptions++);
  const received = new Set<string>();
  subscriber.on('message', (_topic, payload) => received.add(payload.toString()));
  await subscriber.subscribeAsync(topic, { qos: 1 });

  const publisher = await connect(broker, { clientId: 'edge-no-strand' });
  await publishBurst(publisher);
  try {
    await waitUntil(asEmitter(subscriber), 'message', () => received.size === TOTAL, 15_000);
  } catch {
    // Report the count rather than a bare timeout: this is the number of stranded messages.
    expect.fail(`${TOTAL - received.size} of ${TOTAL} acknowledged messages were not delivered live (${persistence})`);
  }
  return { received, interruptions };
}

describe('no stranded bonks under a burst of QoS 2 publishes', () => {
  it.each(['level', 'memory'] as const)('delivers all %s-persisted messages live to a clean:false subscriber', async (persistence) => {
    const { received, interruptions } = await burst(persistence);
    expect(received.size).toBe(TOTAL);
    expect(interruptions).toBe(0);
  }, 60_000);
});

// Proof that no acknowledged bonk is stranded: a burst of QoS 2 publishes all reach an online persistent subscriber.
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { createTopics } from '../contract/index.ts';
import { waitUntil } from '../test/helpers/wait.ts';
import { asEmitter, createBrokerTestKit } from '../test/helpers/broker-test-support.ts';

const TOTAL = 5_000;
const IN_FLIGHT = 100;
// BONKER_TEST_UNORDERED=1 turns our ordering off, to show this test catches the upstream bug (see the report); it
// turns exact-dedupe.ts off too, which on its own would already keep out-of-order enqueues from being dropped.
const ORDERED = process.env.BONKER_TEST_UNORDERED !== '1';
const topic = createTopics().bonk('tux');
const kit = createBrokerTestKit();
afterEach(() => kit.cleanup());

async function publishBurst(publisher: MqttClient): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < TOTAL) await publisher.publishAsync(topic, `bonk-${next++}`, { qos: 2 });
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

async function burst(persistence: 'level' | 'memory') {
  const broker = await kit.startBroker(persistence, { orderOutgoing: ORDERED, raceGuards: ORDERED });

  const subscriber = await kit.connect(broker, { clientId: 'tux-no-strand', clean: false });
  let interruptions = 0;
  subscriber.on('close', () => interruptions++);
  const received = new Set<string>();
  subscriber.on('message', (_topic, payload) => received.add(payload.toString()));
  await subscriber.subscribeAsync(topic, { qos: 1 });

  const publisher = await kit.connect(broker, { clientId: 'edge-no-strand' });
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

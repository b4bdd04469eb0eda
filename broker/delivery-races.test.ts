// Proof that the two delivery races left after ordered-persistence.ts strand nothing: QoS 0 overtaking, reconnect replay.
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { createTopics } from '../contract/index.ts';
import { waitUntil } from '../test/helpers/wait.ts';
import type { RunningBroker } from './start-broker.ts';
import { asEmitter, createBrokerTestKit } from '../test/helpers/broker-test-support.ts';

const IN_FLIGHT = 100;
// BONKER_TEST_RACES_UNFIXED=1 turns off exact-dedupe.ts and replay-guard.ts, to show these tests catch the races.
const RACE_GUARDS = process.env.BONKER_TEST_RACES_UNFIXED !== '1';
const topic = createTopics().bonk('tux');
const kit = createBrokerTestKit();
afterEach(() => kit.cleanup());

const startRaceBroker = (persistence: 'level' | 'memory') => kit.startBroker(persistence, { raceGuards: RACE_GUARDS });

/** A clean:false subscriber at QoS 1 that records every bonk payload and counts its dropped connections. */
async function connectTux(broker: RunningBroker) {
  const received = new Set<string>();
  const qosSeen = new Set<number>();
  let deliveries = 0;
  let interruptions = 0;
  const client = await kit.connect(broker, { clientId: 'tux-races', clean: false }, (c) => {
    c.on('message', (_topic, payload, packet) => {
      const text = payload.toString();
      if (!text.startsWith('bonk-')) return;
      received.add(text);
      qosSeen.add(packet.qos);
      deliveries++;
    });
    c.on('close', () => interruptions++);
  });
  return { client, received, qosSeen, deliveries: () => deliveries, interruptions: () => interruptions };
}

/** `count` QoS 2 publishes numbered from `first`, `IN_FLIGHT` at a time; resolves once all were acknowledged. */
async function publishQoS2(publisher: MqttClient, first: number, count: number, onAcked = () => {}): Promise<void> {
  let next = first;
  const worker = async () => {
    while (next < first + count) {
      await publisher.publishAsync(topic, `bonk-${next++}`, { qos: 2 });
      onAcked();
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

/** After each acknowledged QoS 2 publish, a QoS 0 one to the same topic (mosquitto_pub's and Home Assistant's default). */
function qos0Noise(source: MqttClient): { onAcked(): void; settled(): Promise<number> } {
  const sent: Promise<unknown>[] = [];
  return {
    onAcked: () => void sent.push(source.publishAsync(topic, `noise-${sent.length}`, { qos: 0 })),
    settled: async () => (await Promise.all(sent)).length,
  };
}

async function expectAllLive(tux: { client: MqttClient; received: Set<string> }, total: number, what: string) {
  try {
    await waitUntil(asEmitter(tux.client), 'message', () => tux.received.size === total, 10_000);
  } catch {
    // The count, not a bare timeout: these are the stranded messages (they would arrive on the next reconnect).
    expect.fail(`${total - tux.received.size} of ${total} acknowledged QoS 2 messages were not delivered live (${what})`);
  }
}

describe.each(['level', 'memory'] as const)('delivery races against an online clean:false subscriber (%s)', (persistence) => {
  it('delivers every QoS 2 message live while QoS 0 publishes to the same topic overtake them', async () => {
    const broker = await startRaceBroker(persistence);
    const tux = await connectTux(broker);
    await tux.client.subscribeAsync(topic, { qos: 1 });
    const edge = await kit.connect(broker, { clientId: 'edge-races' });
    const noise = qos0Noise(await kit.connect(broker, { clientId: 'home-assistant-races' }));
    await publishQoS2(edge, 0, 2_000, noise.onAcked);
    expect(await noise.settled()).toBe(2_000);

    await expectAllLive(tux, 2_000, 'QoS 0 overtaking');
    expect(tux.interruptions()).toBe(0);
  }, 30_000);

  it('delivers the stored queue and live messages over the one reconnected session', async () => {
    const broker = await startRaceBroker(persistence);
    const first = await connectTux(broker);
    await first.client.subscribeAsync(topic, { qos: 1 });
    await first.client.endAsync();
    const edge = await kit.connect(broker, { clientId: 'edge-races' });
    await publishQoS2(edge, 0, 1_000);

    // Live traffic is already flowing when the session comes back, so replay and live deliveries interleave.
    const edge2 = await kit.connect(broker, { clientId: 'edge-races-2' });
    let liveAcked = 0;
    const live = publishQoS2(edge2, 1_000, 1_000, () => liveAcked++);
    await waitUntil(asEmitter(edge2), 'packetreceive', () => liveAcked >= 200);
    const tux = await connectTux(broker);
    await live;

    await expectAllLive(tux, 2_000, 'reconnect replay');
    expect(tux.interruptions()).toBe(0);
    // Replay and live traffic did not both send one message (each copy is a bonk the device has to filter out).
    expect(tux.deliveries()).toBe(2_000);
    // Replayed at the subscription's QoS 1, as live delivery does, not at the QoS 2 they were published with.
    expect([...tux.qosSeen]).toEqual([1]);
  }, 30_000);
});

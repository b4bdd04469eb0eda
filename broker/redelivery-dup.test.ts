// [MQTT-3.3.1-1] over real sockets: a message sent to a persistent session and not acknowledged is re-delivered after
// the reconnect with DUP 1; a message queued while the client was away arrives (first delivery) with DUP 0.
import { EventEmitter } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { silentLogger } from '../contract/index.ts';
import { waitForEvent, waitUntil } from '../test/helpers/wait.ts';
import { startBroker, type RunningBroker } from './start-broker.ts';
import { asEmitter, makeTempDir, testBrokerConfig } from '../test/helpers/broker-test-support.ts';

const cleanups: (() => Promise<unknown>)[] = [];
let broker: RunningBroker;
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const url = () => `mqtt://127.0.0.1:${broker.mqttPort}`;

/** A persistent-session subscriber that records each PUBLISH; `ack: false` never sends PUBACK. */
function subscriber(ack: boolean): { client: MqttClient; received: IPublishPacket[]; events: EventEmitter } {
  const client = mqtt.connect(url(), { clientId: 'dup-sub', clean: false, reconnectPeriod: 0, manualConnect: true });
  cleanups.push(() => client.endAsync(true));
  const received: IPublishPacket[] = [];
  const events = new EventEmitter();
  client.handleMessage = (packet, callback) => {
    received.push(packet);
    events.emit('publish');
    if (ack) callback();
  };
  client.connect();
  return { client, received, events };
}

it.each(['level', 'memory'])('re-delivers an unacknowledged message with DUP 1, and a first delivery with DUP 0 (%s)', async (store) => {
  const dir = await makeTempDir();
  cleanups.push(dir.remove);
  broker = await startBroker(testBrokerConfig({ BONKER_PERSISTENCE: store, BONKER_DATA_DIR: dir.path }), silentLogger);
  cleanups.push(broker.close);
  const first = subscriber(false);
  await waitForEvent(asEmitter(first.client), 'connect');
  await first.client.subscribeAsync('dup/t', { qos: 1 });
  const publisher = await mqtt.connectAsync(url(), { clientId: 'dup-pub', reconnectPeriod: 0 });
  cleanups.push(() => publisher.endAsync(true));
  await publisher.publishAsync('dup/t', 'sent-once', { qos: 1 });
  await waitUntil(first.events, 'publish', () => first.received.length === 1);
  expect(first.received[0]!.dup).toBe(false);
  await first.client.endAsync(true);
  await publisher.publishAsync('dup/t', 'queued', { qos: 1 });

  const second = subscriber(true);
  await waitUntil(second.events, 'publish', () => second.received.length === 2, 10_000);
  expect(second.received.map((p) => [p.payload.toString(), p.dup])).toEqual([['sent-once', true], ['queued', false]]);
});

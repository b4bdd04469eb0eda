// Real brokers behind a switchable front, a bonk subscriber, and a device on demand: what the shared edge case
// table's `publisher` behaviours become when the edge is a real server (workerd or Node) instead of a fake.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { parseBonkPayload, silentLogger, type BonkCommand } from '../../contract/index.ts';
import { testBrokerConfig } from '../helpers/broker-test-support.ts';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { loadDeviceConfig } from '../../device/config.ts';
import { deviceClientId } from '../../contract/index.ts';
import { createSimulatedServo } from '../../device/servo/simulated.ts';
import { startDevice } from '../../device/start-device.ts';
import { FAST } from '../helpers/test-agent.ts';
import type { PublisherBehaviour } from '../helpers/recording-publisher.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { waitUntil } from '../helpers/wait.ts';
import { startBrokerFront, type BrokerFront, type FrontMode } from './broker-front.ts';

export interface Received {
  topic: string;
  command: BonkCommand;
}

export interface CaseWorld {
  broker: RunningBroker;
  front: BrokerFront;
  /** Every bonk the subscriber saw on `<prefix>/+/bonk`, barriers excluded. */
  received: Received[];
  /** Resolves once every bonk the broker accepted before this call has reached the subscriber. */
  barrier(): Promise<void>;
  /** Runs `body` with a real device agent (simulated servo) answering on the default device. */
  withDevice<T>(body: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** fails → a broker that drops the connection on a bonk publish; not-ready → nothing listening; hangs → silence. */
export const FRONT_MODE: Record<PublisherBehaviour, FrontMode> = {
  stores: 'up',
  acks: 'up',
  fails: 'refuses',
  'not-ready': 'down',
  hangs: 'hangs',
};

export async function startCaseWorld(): Promise<CaseWorld> {
  const broker = await startBroker(testBrokerConfig(), silentLogger);
  const refusing = await startRefusingBroker();
  const front = await startBrokerFront({ up: broker.mqttPort, refuses: refusing.port });
  const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.mqttPort}`, { protocolVersion: 4, clean: true });
  await subscriber.subscribeAsync('bonker/+/bonk', { qos: 2 });
  const received: Received[] = [];
  const barriers = new Set<string>();
  subscriber.on('message', (topic, payload) => {
    const text = payload.toString();
    if (topic === 'bonker/barrier/bonk') return void barriers.add(text);
    const parsed = parseBonkPayload(payload, { newId: () => 'manual', now: Date.now });
    if (parsed.ok) received.push({ topic, command: parsed.command });
  });
  return {
    broker,
    front,
    received,
    async barrier() {
      // Aedes forwards a bonk to subscribers before it answers the edge; a later message on the same
      // subscription therefore arrives after it.
      const marker = crypto.randomUUID();
      await subscriber.publishAsync('bonker/barrier/bonk', marker, { qos: 1 });
      await waitUntil(subscriber as unknown as import('node:events').EventEmitter, 'message', () => barriers.has(marker));
    },
    async withDevice(body) {
      const state = await makeTempDir('bonker-device-');
      const url = `mqtt://127.0.0.1:${broker.mqttPort}`;
      // Earlier rows queued bonks for the device's persistent session; a clean connect drops them, so the device
      // answers this row's commands as new ones and not as duplicates of a backlog.
      await (await mqtt.connectAsync(url, { clientId: deviceClientId('tux'), clean: true, protocolVersion: 4 })).endAsync();
      const env = { BONKER_BROKER_URL: url, BONKER_STATE_DIR: state.path, ...FAST };
      const device = await startDevice(loadDeviceConfig(env), silentLogger, { servo: createSimulatedServo() });
      try {
        return await body();
      } finally {
        await device.close();
        await state.remove();
      }
    },
    async close() {
      await subscriber.endAsync(true);
      await front.close();
      await refusing.close();
      await broker.close();
    },
  };
}

/** An Aedes that refuses every publish; MQTT 3.1.1 has no negative PUBACK, so Aedes closes the connection. */
async function startRefusingBroker() {
  const aedes = await Aedes.createBroker({
    authorizePublish: (_client, _packet, callback) => callback(new Error('bonks refused by this broker')),
  });
  const server = net.createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => aedes.close(() => resolve()))),
  };
}

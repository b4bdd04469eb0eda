// Broker test helpers: a broker config on loopback port 0, a temp dir that cleans up after itself, and a kit that
// starts brokers and clients and undoes them after each test.
import type { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import { silentLogger, type Env } from '../../contract/index.ts';
import { loadBrokerConfig, type BrokerConfig } from '../../broker/config.ts';
import { startBroker, type BrokerTestOverrides, type RunningBroker } from '../../broker/start-broker.ts';
import { makeTempDir as makeTestTempDir, type TempDir } from './temp-dir.ts';
import { waitForEvent } from './wait.ts';

/** Only the MQTT TCP listener, on an ephemeral loopback port; `env` adds or overrides variables. */
export function testBrokerConfig(env: Env = {}): BrokerConfig {
  return loadBrokerConfig({
    BONKER_BROKER_HOST: '127.0.0.1',
    BONKER_BROKER_PORT: '0',
    BONKER_BROKER_WS_PORT: 'off',
    BONKER_BROKER_HTTP_PORT: 'off',
    BONKER_PERSISTENCE: 'memory',
    ...env,
  });
}

export const makeTempDir = (): Promise<TempDir> => makeTestTempDir('bonker-broker-');

/** mqtt.js types its client as a typed emitter that TS will not pass where test/helpers/wait.ts wants node's. */
export const asEmitter = (client: MqttClient): EventEmitter => client as unknown as EventEmitter;

export interface BrokerTestKit {
  /** Undoes what the kit started, last first; for afterEach. */
  cleanup(): Promise<void>;
  /** The bundled broker with `persistence` in a data directory of its own. */
  startBroker(persistence: 'level' | 'memory', overrides?: BrokerTestOverrides): Promise<RunningBroker>;
  /** A client connected to `broker`; `setup` adds handlers before CONNECT, as a persistent session's queue arrives right after CONNACK. */
  connect(broker: RunningBroker, options: mqtt.IClientOptions, setup?: (client: MqttClient) => void): Promise<MqttClient>;
}

export function createBrokerTestKit(): BrokerTestKit {
  const cleanups: (() => Promise<unknown>)[] = [];
  return {
    async cleanup() {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    },
    async startBroker(persistence, overrides = {}) {
      const dir = await makeTempDir();
      cleanups.push(dir.remove);
      const config = testBrokerConfig({ BONKER_PERSISTENCE: persistence, BONKER_DATA_DIR: dir.path });
      const broker = await startBroker(config, silentLogger, overrides);
      cleanups.push(broker.close);
      return broker;
    },
    async connect(broker, options, setup = () => {}) {
      const client = mqtt.connect(`mqtt://127.0.0.1:${broker.mqttPort}`, { reconnectPeriod: 0, manualConnect: true, ...options });
      cleanups.push(() => client.endAsync(true));
      setup(client);
      client.connect();
      await waitForEvent(asEmitter(client), 'connect');
      return client;
    },
  };
}

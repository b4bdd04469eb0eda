// Broker test helpers: a broker config on loopback port 0 and a temp dir that cleans up after itself.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import type { Env } from '../../contract/index.ts';
import { loadBrokerConfig, type BrokerConfig } from '../../broker/config.ts';

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

export async function makeTempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'bonker-broker-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** mqtt.js types its client as a typed emitter that TS will not pass where test/helpers/wait.ts wants node's. */
export const asEmitter = (client: MqttClient): EventEmitter => client as unknown as EventEmitter;

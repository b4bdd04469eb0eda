// The CLI's MQTT connection: a short-lived, clean session as the admin user.
import type { MqttClient } from 'mqtt';
import { brokerAddress, createMqttClient } from '../device/mqtt-transport.ts';
import type { ClientConfig } from './client-config.ts';

/**
 * mqtt.js's client class over the agent's stream builder (device/mqtt-transport.ts, a leaf module) rather than
 * mqtt.connect(): that one loads the WebSocket, SOCKS and browser transports on every call, about a third of a
 * `bonk`'s start-up on a Pi-class CPU (bench/RESULTS.md, "Pi-class budget"); ws:// loads its transport on demand.
 */
export async function connectAdmin(config: ClientConfig, timeoutMs: number): Promise<MqttClient> {
  const client = await createMqttClient([brokerAddress(config.BONKER_BROKER_URL)], {
    clientId: `bonker-cli-${crypto.randomUUID().slice(0, 8)}`,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    // One packet id buffer per packet instead of 65,536 built up front on the first write (see device/mqtt-session.ts).
    writeCache: false,
    ...fromUrl(config.BONKER_BROKER_URL),
    ...(config.BONKER_MQTT_USERNAME ? { username: config.BONKER_MQTT_USERNAME } : {}),
    ...(config.BONKER_MQTT_PASSWORD ? { password: config.BONKER_MQTT_PASSWORD } : {}),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error(`could not connect to ${config.BONKER_BROKER_URL}`)));
    });
  } catch (error) {
    client.end(true);
    throw error;
  }
  return client;
}

/** What mqtt.connect() took from the URL: `ws://host:9001/mqtt`'s path, `mqtt://user:password@host`'s login. */
function fromUrl(raw: string): { path?: string; username?: string; password?: string } {
  const url = new URL(raw);
  return {
    ...(url.pathname && url.pathname !== '/' ? { path: url.pathname } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}

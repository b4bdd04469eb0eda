// The CLI's MQTT connection: a short-lived, clean session as the admin user.
import mqtt, { type MqttClient } from 'mqtt';
import type { ClientConfig } from './client-config.ts';

export async function connectAdmin(config: ClientConfig, timeoutMs: number): Promise<MqttClient> {
  const client = mqtt.connect(config.BONKER_BROKER_URL, {
    clientId: `bonker-cli-${crypto.randomUUID().slice(0, 8)}`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
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

// The CLI's MQTT connection: a short-lived, clean session as the admin user.
import type { MqttClient } from 'mqtt';
import { newClientId, parseBrokerUrl, safeUrl } from '../contract/index.ts';
import { createMqttClient } from '../device/mqtt-transport.ts';
import type { ClientConfig } from './client-config.ts';

/**
 * mqtt.js's client class over the agent's stream builder (device/mqtt-transport.ts, a leaf module) rather than
 * mqtt.connect(): that one loads the WebSocket, SOCKS and browser transports on every call, about a third of a
 * `bonk`'s start-up on a Pi-class CPU (bench/RESULTS.md, "Pi-class budget"); ws:// loads its transport on demand.
 */
export async function connectAdmin(config: ClientConfig, timeoutMs: number): Promise<MqttClient> {
  const client = await createMqttClient([parseBrokerUrl(config.BONKER_BROKER_URL)], {
    // The admin role's namespace: a broker with a users file refuses an admin connecting under any other id.
    clientId: newClientId('admin', 'cli'),
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
      client.once('close', () => reject(new Error(`no answer within ${timeoutMs / 1000} s, or the connection was closed`)));
    });
  } catch (error) {
    client.end(true);
    throw new Error(connectFailure(config, error as Error & { code?: string | number }));
  }
  return client;
}

/** Where the CLI tried, what went wrong (the error code) and what to check; never the password. */
function connectFailure(config: ClientConfig, error: Error & { code?: string | number }): string {
  const url = safeUrl(config.BONKER_BROKER_URL);
  // CONNACK 4 (bad user name or password) and 5 (not authorized): the broker is there, the login is wrong.
  if (error.code === 4 || error.code === 5) {
    return (
      `the broker at ${url} refused the login (${error.message}); check BONKER_MQTT_USERNAME and BONKER_MQTT_PASSWORD: ` +
      'a user with role admin in the broker\'s BONKER_USERS_FILE'
    );
  }
  const code = typeof error.code === 'string' ? error.code : error.message;
  return (
    `cannot connect to the broker at ${url} (${code}); is \`oom-bonker broker\` or \`oom-bonker up\` running there? ` +
    'Check BONKER_BROKER_URL (--broker-url) and, if the broker has a users file, BONKER_MQTT_USERNAME and BONKER_MQTT_PASSWORD'
  );
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

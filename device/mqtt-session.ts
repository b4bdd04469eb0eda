// The agent's MQTT connection: persistent session, retained online/offline status, reconnect with backoff.
import type { DeviceEvents } from './device-events.ts';
import type { IClientOptions, MqttClient } from 'mqtt';
import { deviceClientId, parseBrokerUrl, QOS, STATUS_OFFLINE, STATUS_ONLINE, type Logger, type Topics } from '../contract/index.ts';
import type { DeviceConfig } from './config.ts';
import { createMqttClient } from './mqtt-transport.ts';

/** ≥ 30 s: mqtt.js handles PINGRESP only between packets, and a long bonk must not end in "Keepalive timeout". */
export const KEEPALIVE_S = 30;
export const RECONNECT_MIN_MS = 1_000;
export const RECONNECT_MAX_MS = 30_000;

/** Client options; `servers` (the broker URLs, tried in order on reconnect) only when several are configured. */
export function deviceClientOptions(config: DeviceConfig, topics: Topics): IClientOptions {
  const servers = config.brokerUrls.map(parseBrokerUrl);
  const wsPath = new URL(config.brokerUrls[0]!).pathname;
  return {
    // A stable id and clean: false make the broker keep the subscription and queue bonks while we are away.
    clientId: deviceClientId(config.deviceId),
    clean: false,
    protocolVersion: 4,
    keepalive: KEEPALIVE_S,
    // 0: manageSession reconnects itself with backoff (mqtt.js retries at a fixed period).
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    // Handlers must be attached before connecting: queued messages arrive right after CONNACK.
    manualConnect: true,
    // true (the default) makes mqtt-packet pre-build a 2-byte Buffer for each of the 65,536 packet ids on the
    // first write: 12–19 MB of heap on a Pi (bench/RESULTS.md, figure 5), to save one tiny allocation per packet.
    writeCache: false,
    ...(servers.length > 1 ? { servers } : {}),
    ...(wsPath && wsPath !== '/' ? { path: wsPath } : {}),
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    will: { topic: topics.status(config.deviceId), payload: Buffer.from(STATUS_OFFLINE), qos: QOS.status, retain: true },
  };
}

export async function createDeviceClient(config: DeviceConfig, topics: Topics): Promise<MqttClient> {
  const client = await createMqttClient(config.brokerUrls.map(parseBrokerUrl), deviceClientOptions(config, topics));
  // mqtt.js leaves Nagle on: the ack published right after a PUBACK then waits for the broker's delayed ACK
  // (up to 40 ms on Linux; see edge/node/publisher.ts). Set per connection; WebSocket streams have no such switch.
  client.on('connect', () => (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true));
  return client;
}

export interface SessionControl {
  /** Ends the connection cleanly and reconnects after a growing delay, so the broker redelivers unacknowledged bonks. */
  redeliverLater(): void;
  /** Called once a record could be written again: the next redelivery request starts from the shortest delay. */
  redeliveryRecovered(): void;
  /** Stops reconnecting (on close). */
  stop(): void;
}

/**
 * On every CONNACK: subscribe when the broker has no session for us, announce `online`, then emit 'connected'.
 * Reconnects itself (mqtt.js reconnects at a fixed period): the delay doubles per failed attempt up to
 * RECONNECT_MAX_MS and resets once connected.
 */
export function manageSession(deps: {
  client: MqttClient;
  config: DeviceConfig;
  topics: Topics;
  logger: Logger;
  events: DeviceEvents;
  /** After each CONNACK once the bonk subscription exists (made now, or kept by the broker's session). */
  onSubscribed?: () => void;
}): SessionControl {
  const { client, logger } = deps;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let reconnectDelay = RECONNECT_MIN_MS;
  let redeliveryDelay = RECONNECT_MIN_MS;

  const reconnectAfter = (ms: number, keepStores: boolean) => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (stopped) return;
      // Keep the stores after a dropped connection: QoS 1 acks published while offline wait there.
      // After end() they are closed, and mqtt.js needs fresh ones.
      if (keepStores) client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
      else client.reconnect();
    }, ms);
  };
  client.on('connect', (connack) => {
    reconnectDelay = RECONNECT_MIN_MS;
    logger.info({ sessionPresent: connack.sessionPresent, broker: brokerOf(client) }, 'connected to broker');
    void announce(client, { subscribe: !connack.sessionPresent, ...deps });
  });
  client.on('close', () => {
    if (stopped || client.disconnecting) return;
    logger.warn({ retryInMs: reconnectDelay, broker: brokerOf(client) }, 'broker connection closed or refused');
    reconnectAfter(reconnectDelay, true);
    reconnectDelay = Math.min(RECONNECT_MAX_MS, reconnectDelay * 2);
  });
  // The cause without a stack: it repeats on every retry while the broker is away, and the stack says nothing new.
  client.on('error', (error) => logger.warn({ error: error.message, code: (error as { code?: string }).code, broker: brokerOf(client) }, 'mqtt error'));
  return {
    redeliverLater() {
      if (stopped || timer || client.disconnecting) return;
      const delay = redeliveryDelay;
      redeliveryDelay = Math.min(RECONNECT_MAX_MS, redeliveryDelay * 2);
      logger.warn({ retryInMs: delay }, 'reconnecting later so the broker redelivers the unacknowledged bonk');
      client.end(false, () => reconnectAfter(delay, false));
    },
    redeliveryRecovered() {
      redeliveryDelay = RECONNECT_MIN_MS;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

async function announce(
  client: MqttClient,
  deps: { subscribe: boolean; config: DeviceConfig; topics: Topics; logger: Logger; events: DeviceEvents; onSubscribed?: () => void },
): Promise<void> {
  const { config, topics, logger, events } = deps;
  try {
    if (deps.subscribe) await client.subscribeAsync(topics.bonk(config.deviceId), { qos: QOS.bonkToDevice });
    deps.onSubscribed?.();
    await client.publishAsync(topics.status(config.deviceId), STATUS_ONLINE, { qos: QOS.status, retain: true });
    events.emit('connected');
  } catch (error) {
    // The next connection tries again; once made, the persistent session keeps the subscription.
    logger.warn({ err: error }, 'could not subscribe or announce online');
  }
}

function brokerOf(client: MqttClient): string {
  const { protocol, hostname, port } = client.options;
  return `${protocol}://${hostname}:${port}`;
}

// BonkPublisher over one persistent mqtt.js connection (Node only): QoS 2 publishes, acks collected from `<P>/+/ack`.
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { encodeBonk, QOS, safeUrl, type BonkCommand, type Logger, type Topics } from '../../contract/index.ts';
import { createAckWaiters } from '../core/ack-waiters.ts';
import { createUnreachableLog } from './broker-unreachable-log.ts';
import { createConnectionLoss, type ConnectionLoss } from './connection-loss.ts';
import { PublishError, type BonkPublisher } from '../core/publisher.ts';

export interface MqttPublisherOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  topics: Topics;
  publishTimeoutMs: number;
  logger: Logger;
  /** How often an unreachable broker is logged again, with the count of failed attempts (default a minute). */
  unreachableLogWindowMs?: number;
}

/** `events` emits 'ready' and 'unready' when the connection (with its ack subscription) comes and goes. */
export interface MqttBonkPublisher extends BonkPublisher {
  readonly events: EventEmitter;
}

const RECONNECT_MS = 1_000;

/**
 * Resolves once the first connection is up or after publishTimeoutMs (the edge then starts unready and keeps
 * reconnecting); rejects when the broker refuses the credentials, which retrying will not fix.
 */
export async function createMqttPublisher(options: MqttPublisherOptions): Promise<MqttBonkPublisher> {
  const { topics, logger } = options;
  const events = new EventEmitter();
  const waiters = createAckWaiters(topics, logger);
  let ready = false;
  const setReady = (value: boolean) => {
    if (value === ready) return;
    ready = value;
    events.emit(value ? 'ready' : 'unready');
  };
  const client = mqtt.connect(options.url, clientOptions(options));
  const loss = createConnectionLoss(client);
  const url = safeUrl(options.url);
  const unreachable = createUnreachableLog({ logger, url, windowMs: options.unreachableLogWindowMs });
  client.on('connect', () => {
    noDelay(client);
    unreachable.connected();
    logger.info({ url }, 'connected to the MQTT broker');
    // A clean session forgets subscriptions, so subscribe on every (re)connect instead of relying on mqtt.js.
    client.subscribe(topics.all('ack'), { qos: QOS.ack }, (error, granted) => {
      if (error || granted?.some((g) => g.qos === 128)) {
        logger.error({ err: error, topic: topics.all('ack') }, 'ack subscription refused; ?wait=ack will time out');
      }
      if (client.connected) loss.connected();
      setReady(client.connected);
    });
  });
  client.on('close', () => {
    if (ready) logger.warn({ url }, 'lost the connection to the MQTT broker; reconnecting');
    setReady(false);
    loss.closed();
  });
  client.on('error', (error: Error & { code?: string | number }) => {
    loss.error(error.message);
    // Without a stack: the cause is the broker's state, not our code. Repeated attempts are counted, not each logged.
    if (client.connected) logger.warn({ url, cause: error.code ?? error.message }, `MQTT connection error: ${error.message}`);
    else unreachable.failed(error);
  });
  client.on('message', (topic, payload) => waiters.dispatch(topic, payload));
  await firstConnection(client, events, options.publishTimeoutMs, logger);

  return {
    events,
    isReady: () => ready && client.connected,
    checkReady: async () => ready && client.connected,
    unreadyReason: () => (ready && client.connected ? undefined : loss.reason()),
    publish: (device, commands) => loss.track(publishAll(client, topics, device, commands, loss)),
    waitForAcks: (device, ids, timeoutMs) => waiters.wait(device, ids, timeoutMs).result,
    async close() {
      waiters.endAll();
      await client.endAsync(true);
      setReady(false);
    },
  };
}

function clientOptions(options: MqttPublisherOptions): IClientOptions {
  return {
    clientId: `bonker-edge-${crypto.randomUUID().slice(0, 8)}`,
    username: options.username,
    password: options.password,
    // Aedes 1.x speaks MQTT 3.1.1 only: it refuses an MQTT 5 CONNECT.
    protocolVersion: 4,
    clean: true,
    resubscribe: false,
    reconnectPeriod: RECONNECT_MS,
    connectTimeout: options.publishTimeoutMs,
    keepalive: 30,
  };
}

async function firstConnection(client: MqttClient, events: EventEmitter, timeoutMs: number, logger: Logger) {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      logger.warn({ timeoutMs }, 'no MQTT connection yet; starting unready and retrying');
      resolve();
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    // CONNACK return codes 4 (bad user name or password) and 5 (not authorized): retrying cannot help.
    const onError = (error: Error & { code?: number }) => {
      if (error.code !== 4 && error.code !== 5) return;
      cleanup();
      client.end(true);
      reject(new Error(`MQTT broker refused the edge's credentials: ${error.message}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      events.off('ready', onReady);
      client.off('error', onError);
    };
    events.on('ready', onReady);
    client.on('error', onError);
  });
}

/**
 * mqtt.js leaves Nagle on: a small packet written while another is unacknowledged then waits for the peer's delayed
 * ACK (up to 40 ms on Linux). bench/RESULTS.md, figure 2, at 20/s via Mosquitto: p50 39 ms with it on, 1.0 ms off (edge and
 * agent). WebSocket streams have no such switch.
 */
function noDelay(client: MqttClient): void {
  (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
}

/** The deadline is the app's (BONKER_EDGE_PUBLISH_TIMEOUT_MS), the same for every publisher. */
async function publishAll(
  client: MqttClient,
  topics: Topics,
  device: string,
  commands: BonkCommand[],
  loss: ConnectionLoss,
) {
  // Fail fast: mqtt.js would otherwise keep an offline publish in memory and the HTTP answer would wait for nothing.
  if (!client.connected) throw new PublishError('not_connected', loss.reason() ?? 'reconnecting');
  const topic = topics.bonk(device);
  // QoS 2: Aedes stores the message before PUBREC; at QoS 1 it acknowledges before storing (aedes lib/handlers/publish.js).
  await Promise.all(
    commands.map((command) => client.publishAsync(topic, encodeBonk(command), { qos: QOS.bonkFromEdge })),
  );
}


// The device agent: receives bonk commands over a persistent MQTT session, strikes, records the id, then acknowledges.
import { createDeviceEvents, type DeviceEvents } from './device-events.ts';
import type { MqttClient } from 'mqtt';
import {
  createTopics, encodeAck, QOS, settledWithin, STATUS_OFFLINE, type Ack, type DeviceInfo, type Logger, type ServoSelection,
  type Topics,
} from '../contract/index.ts';
import { createBonkRecord, linkHistoryTopic } from './bonk-record.ts';
import { createBonkRunner } from './bonk-runner.ts';
import { createCommandHandler, type CommandHandler } from './command-handler.ts';
import type { DeviceConfig } from './config.ts';
import { watchDedupStore } from './dedup-health.ts';
import { createDedupStore, type DedupStore } from './dedup-store.ts';
import { linkDeviceInfo } from './device-info.ts';
import { linkHomeAssistant } from './home-assistant.ts';
import { createDeviceClient, manageSession, type SessionControl } from './mqtt-session.ts';
import { createRateLimiter } from './rate-limit.ts';
import { createServo, type SelectedServo } from './servo/index.ts';
import type { Servo } from './servo/servo.ts';
import { createStriker, type Striker } from './strike.ts';

export interface RunningDevice {
  servo: Servo;
  /** What the retained `<prefix>/<device>/info` says now. */
  info(): DeviceInfo;
  /** What the agent announces (device-events.ts): 'ack', 'connected', 'bonk', 'dedup-store', 'home-assistant'. */
  events: DeviceEvents;
  /** Finishes the strike in progress, parks, announces offline, disconnects, closes the servo; within 5 s. */
  close(): Promise<void>;
}

/** Budget inside the 5 s promise: the strike in progress, then the offline announcement, then DISCONNECT. */
const FINISH_BONK_MS = 3_000;
const RECORD_SETTLE_MS = 300;
const ANNOUNCE_MS = 700;
const DISCONNECT_MS = 500;

export async function startDevice(
  config: DeviceConfig,
  logger: Logger,
  deps: { servo?: Servo | SelectedServo; now?: () => number } = {},
): Promise<RunningDevice> {
  const now = deps.now ?? Date.now;
  // First, so an unwritable state directory fails start-up before anything moves or connects.
  const events = createDeviceEvents();
  const store = watchDedupStore(await createDedupStore({ dir: config.stateDir, maxEntries: config.dedupSize, logger }), events);
  const servo = deps.servo ?? (await createServo(config, logger));
  const striker = createStriker({ servo, motion: config.motion });
  await striker.park();
  const selection = selectionOf(servo, config);
  logger.info({ driver: servo.driver, requested: selection.requested, remembered: store.size }, 'servo parked');

  const stopping = new AbortController();
  const handler = createHandler(config, { store, striker, now, logger, events, stopping: stopping.signal });
  const topics = createTopics(config.topicPrefix);
  const client = await createDeviceClient(config, topics);
  // Before connecting: they publish on every 'connected' and count every 'ack'.
  const record = await createBonkRecord({ config, events, logger });
  if (config.historySize > 0) linkHistoryTopic({ client, record, topic: topics.history(config.deviceId), events, logger });
  linkHomeAssistant({ client, config, topics, events, record, logger });
  const info = linkDeviceInfo({
    client, topic: topics.info(config.deviceId), servo: selection, events, logger, now, last: record.state().last, store: store.health(),
  });
  const { session, inbox } = await connect({ client, config, topics, logger, events, handler, stopping: stopping.signal });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      stopping.abort();
      session.stop();
      await settledWithin(inbox.idle(), FINISH_BONK_MS);
      await park(striker, logger);
      // The last bonk's total must reach disk, HA and the history before we go: nothing may write after "stopped".
      await settledWithin(record.settled(), RECORD_SETTLE_MS);
      await settledWithin(info.farewell(), RECORD_SETTLE_MS);
      await disconnect(client, topics.status(config.deviceId), logger);
      await servo.close();
      logger.info('device agent stopped');
    })());
  return { servo, info: info.current, events, close };
}

/** A servo given by a test without a selection counts as the configured driver, asked for by name. */
function selectionOf(servo: Servo | SelectedServo, config: DeviceConfig): ServoSelection {
  if ('selection' in servo) return servo.selection;
  return { driver: servo.driver, requested: config.servo.driver, fallback: false };
}

function createHandler(
  config: DeviceConfig,
  deps: { store: DedupStore; striker: Striker; now: () => number; logger: Logger; events: DeviceEvents; stopping: AbortSignal },
): CommandHandler {
  const { store, striker, now, logger, events, stopping } = deps;
  const runner = createBonkRunner({
    striker, limiter: createRateLimiter(config), maxPerMinute: config.maxPerMinute, now, logger, stopping,
    onStrike: (command, strike) => events.emit('bonk', command, strike),
  });
  return createCommandHandler({ store, runner, now, logger });
}

/** Connects and resolves once subscribed, so a bonk published after startDevice returns is never lost. */
async function connect(deps: {
  client: MqttClient;
  config: DeviceConfig;
  topics: Topics;
  logger: Logger;
  events: DeviceEvents;
  handler: CommandHandler;
  stopping: AbortSignal;
}): Promise<{ session: SessionControl; inbox: { idle(): Promise<void> } }> {
  const { client, config, topics } = deps;
  let subscribed!: () => void;
  const ready = new Promise<void>((resolve) => (subscribed = resolve));
  const session = manageSession({ ...deps, onSubscribed: () => subscribed() });
  // Bonks queued while we were away arrive right after CONNACK; they wait until startDevice has returned,
  // so listeners the caller attaches to `events` straight away see their acks.
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const inbox = attachBonkHandler({
    ...deps, session, gate, bonkTopic: topics.bonk(config.deviceId), ackTopic: topics.ack(config.deviceId),
  });
  client.connect();
  await ready;
  setImmediate(openGate);
  return { session, inbox };
}

/** Every bonk runs inside mqtt.js handleMessage: calling back sends the PUBACK, so a crash before it means redelivery. */
function attachBonkHandler(deps: {
  client: MqttClient;
  handler: CommandHandler;
  session: SessionControl;
  events: DeviceEvents;
  logger: Logger;
  bonkTopic: string;
  ackTopic: string;
  stopping: AbortSignal;
  gate: Promise<void>;
}): { idle(): Promise<void> } {
  const { client, handler, session, events, logger } = deps;
  // mqtt.js already handles one packet at a time; the chain makes "one bonk at a time" hold regardless.
  let queue: Promise<void> = deps.gate;
  const publishAck = (ack: Ack) => {
    logger.info({ id: ack.id, result: ack.result, bonks: ack.bonks, error: ack.error }, 'ack');
    client.publish(deps.ackTopic, encodeAck(ack), { qos: QOS.ack }, (error) => {
      if (error) logger.warn({ err: error, id: ack.id }, 'could not publish ack');
    });
    events.emit('ack', ack);
  };
  const onPacket = async (packet: Parameters<MqttClient['handleMessage']>[0], callback: (error?: Error) => void) => {
    // Unacknowledged on purpose: the broker keeps what arrives while stopping for the next start.
    if (deps.stopping.aborted) return callback(new Error('device agent is stopping'));
    if (packet.cmd !== 'publish' || packet.topic !== deps.bonkTopic) return callback();
    try {
      const decision = await handler.handle(packet.payload as Uint8Array, { retained: packet.retain });
      if (decision.kind === 'answer') {
        callback();
        session.redeliveryRecovered();
        publishAck(decision.ack);
        return;
      }
      callback(new Error(`bonk not acknowledged (${decision.kind})`));
      if (decision.kind === 'retry') session.redeliverLater();
    } catch (error) {
      // Never throw inside the handler: log, leave the message unacknowledged, keep the session.
      logger.error({ err: error }, 'bonk handling failed');
      callback(error instanceof Error ? error : new Error(String(error)));
    }
  };
  client.handleMessage = (packet, callback) => {
    queue = queue.then(() => onPacket(packet, callback)).catch((error: unknown) => logger.error({ err: error }, 'bonk queue failed'));
  };
  return { idle: () => queue };
}

async function park(striker: Striker, logger: Logger): Promise<void> {
  try {
    await striker.park();
  } catch (error) {
    logger.error({ err: error }, 'could not park the servo');
  }
}

async function disconnect(client: MqttClient, statusTopic: string, logger: Logger): Promise<void> {
  if (client.connected) {
    const announced = client.publishAsync(statusTopic, STATUS_OFFLINE, { qos: QOS.status, retain: true });
    if (!(await settledWithin(announced, ANNOUNCE_MS))) logger.warn('could not announce offline in time');
  }
  // A clean DISCONNECT suppresses the will; fall back to dropping the socket if the broker does not answer.
  if (!(await settledWithin(client.endAsync(false), DISCONNECT_MS))) await client.endAsync(true);
}

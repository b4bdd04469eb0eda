// Keeps the device's retained info (`<prefix>/<device>/info`) current: the servo driver in use and whether `auto`
// fell back to simulating, when the agent was last seen, its last strike and whether its dedup store can write. `oom-bonker status`, the page and Home
// Assistant's driver sensor read it.
import type { DeviceEvents } from './device-events.ts';
import type { MqttClient } from 'mqtt';
import {
  lastBonkOf, QOS, type Ack, type DedupStoreHealth, type DeviceInfo, type LastBonk, type Logger, type ServoSelection,
} from '../contract/index.ts';

export interface DeviceInfoLink {
  current(): DeviceInfo;
  /** Publishes once more with seenAt = now: the last sign of life before a clean stop. Resolves once it is out. */
  farewell(): Promise<void>;
}

/** Attach before the client connects: it publishes on every 'connected' and after every `done` ack that struck. */
export function linkDeviceInfo(deps: {
  client: MqttClient;
  topic: string;
  servo: ServoSelection;
  events: DeviceEvents;
  logger: Logger;
  now: () => number;
  /** The last strike known at start (Home Assistant's saved state), so a restart does not forget it. */
  last: LastBonk | null;
  store: DedupStoreHealth;
}): DeviceInfoLink {
  const { client, topic, events, logger, now } = deps;
  let info: DeviceInfo = { v: 1, servo: deps.servo, connectedAt: now(), seenAt: now(), last: deps.last, store: deps.store };
  let publishing: Promise<void> = Promise.resolve();
  let queued = false;

  // One publish at a time, always of the latest info, so the retained copy never goes backwards.
  const publish = (): Promise<void> => {
    if (queued) return publishing;
    queued = true;
    publishing = publishing.then(async () => {
      queued = false;
      if (!client.connected) return;
      await client.publishAsync(topic, JSON.stringify(info), { qos: QOS.info, retain: true }).catch((error: unknown) => {
        logger.warn({ err: error, topic }, 'could not publish the device info');
      });
    });
    return publishing;
  };

  events.on('connected', () => {
    info = { ...info, connectedAt: now(), seenAt: now() };
    void publish();
  });
  events.on('ack', (ack: Ack) => {
    if (ack.result !== 'done' || ack.bonks === 0) return;
    info = { ...info, seenAt: now(), last: lastBonkOf(ack, now) };
    void publish();
  });
  // Published at once, not behind the queue: a failed write is followed by a disconnect (so the broker redelivers),
  // and a PUBLISH handed to mqtt.js before that is still sent, or kept in its store for the next connection.
  events.on('dedup-store', (store: DedupStoreHealth) => {
    info = { ...info, store };
    client.publish(topic, JSON.stringify(info), { qos: QOS.info, retain: true }, (error) => {
      if (error) logger.warn({ err: error, topic }, 'could not publish the device info');
    });
  });
  return {
    current: () => info,
    farewell() {
      info = { ...info, seenAt: now() };
      return publish();
    },
  };
}

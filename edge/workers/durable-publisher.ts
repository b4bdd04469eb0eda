// BonkPublisher for the Worker's Durable Object mode: ONE MQTT connection held across requests (a Durable Object may
// keep I/O between requests, docs/workers.md), kept alive with PINGREQ and reopened on the next request after it ended.
import { encodeBonk, QOS, withTimeout, type Logger, type Topics } from '../../contract/index.ts';
import { createAckWaiters } from '../core/ack-waiters.ts';
import { openMqttSession, type MqttPacketSession } from './mqtt-packet-session.ts';
import { PublishError, type BonkPublisher } from '../core/publisher.ts';
import type { BrokerAddress, SocketConnector } from './publisher.ts';

export interface DurablePublisherOptions {
  address: BrokerAddress;
  username?: string | undefined;
  password?: string | undefined;
  topics: Topics;
  /** Deadline of CONNECT → CONNACK (+ SUBACK) for /readyz. A publish has the app's deadline (its `deadline` signal). */
  timeoutMs: number;
  /** MQTT keepalive; a PINGREQ goes out every half of it so an idle held connection is not dropped by the broker. */
  keepaliveSeconds: number;
  connect: SocketConnector;
  logger: Logger;
}

interface Held {
  session: MqttPacketSession;
  /** Resolves once connected and subscribed to `<P>/+/ack`, so ?wait=ack needs no subscription per request. */
  ready: Promise<MqttPacketSession>;
}

export function createDurablePublisher(options: DurablePublisherOptions): BonkPublisher {
  const { topics, logger } = options;
  const waiters = createAckWaiters(topics, logger);
  let held: Held | undefined;
  let pinger: ReturnType<typeof setInterval> | undefined;

  const drop = (which: Held | undefined) => {
    if (!which || held !== which) return;
    held = undefined;
    clearInterval(pinger);
    void which.session.close();
  };
  const open = (): Held => {
    const session = openMqttSession({
      socket: options.connect(options.address),
      clientId: `bonker-edge-do-${crypto.randomUUID().slice(0, 8)}`,
      username: options.username,
      password: options.password,
      keepaliveSeconds: options.keepaliveSeconds,
      onMessage: (topic, payload) => waiters.dispatch(topic, payload),
      // Lazy reconnect: forget the dead connection now, the next request opens a new one.
      onClose: (error) => {
        logger.info({ reason: error.message }, 'broker connection ended; the next request reconnects');
        drop(current);
      },
    });
    const current: Held = {
      session,
      ready: session.ready
        .then(() => session.subscribe(topics.all('ack'), QOS.ack))
        .then(() => {
          startPinging(session);
          return session;
        }),
    };
    current.ready.catch(() => drop(current));
    return current;
  };
  const startPinging = (session: MqttPacketSession) => {
    clearInterval(pinger);
    const everyMs = Math.max(1, options.keepaliveSeconds / 2) * 1000;
    pinger = setInterval(() => void session.ping().catch(() => {}), everyMs);
  };
  const connected = () => {
    held ??= open();
    return held.ready.catch((error: Error) => {
      throw new PublishError('not_connected', error.message);
    });
  };
  const publishOn = async (device: string, payloads: string[], deadline: AbortSignal | undefined) => {
    const attempt = held ?? (held = open());
    // The app's deadline passed: its 503 is out. A broker gone silent would hold every later request too, so this
    // connection goes; the next request opens a new one.
    const onMissed = () => drop(attempt);
    deadline?.addEventListener('abort', onMissed, { once: true });
    try {
      const mqtt = await connected();
      const topic = topics.bonk(device);
      // Connected (CONNACK above): a failure now is the connection ending under this publish.
      await Promise.all(payloads.map((payload) => mqtt.publishExactlyOnce(topic, payload))).catch((error: Error) => {
        throw new PublishError('refused', error.message);
      });
    } finally {
      deadline?.removeEventListener('abort', onMissed);
    }
  };

  return {
    // Every request may try: the held connection is reopened on demand, so "down" is never known in advance.
    isReady: () => true,
    async checkReady() {
      return withTimeout(connected(), options.timeoutMs, () => new PublishError('timeout', 'no CONNACK')).then(
        () => true,
        () => false,
      );
    },
    async publish(device, commands, deadline) {
      const payloads = commands.map(encodeBonk);
      const reused = held !== undefined;
      try {
        await publishOn(device, payloads, deadline);
      } catch (error) {
        // A connection from an earlier request may have died unnoticed (broker restarted): retry once on a new one,
        // unless the deadline already answered. QoS 2 dedup is per connection, so a bonk stored just before the loss
        // may arrive twice; ids are the same.
        if (!reused || deadline?.aborted) throw error;
        logger.info({ reason: (error as Error).message }, 'held broker connection failed; retrying on a new one');
        await publishOn(device, payloads, deadline);
      }
    },
    waitForAcks(device, ids, timeoutMs) {
      return waiters.wait(device, ids, timeoutMs).result;
    },
    async close() {
      waiters.endAll();
      const last = held;
      drop(last);
      await last?.session.close();
    },
  };
}

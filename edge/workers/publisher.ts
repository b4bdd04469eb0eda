// BonkPublisher for workerd: one MQTT connection per HTTP request (mqtt-packet over a socket), QoS 2 publishes.
// A plain Worker cannot keep a connection across requests (docs/workers.md), so it lives as long as the request.
import { encodeBonk, parseBrokerUrl, QOS, withTimeout, type Logger, type Topics } from '../../contract/index.ts';
import { createAckWaiters } from '../core/ack-waiters.ts';
import { openMqttSession, type ByteSocket, type MqttPacketSession } from './mqtt-packet-session.ts';
import { PublishError, type BonkPublisher } from '../core/publisher.ts';

/** Where and how to open the TCP connection; `tls` is cloudflare:sockets' secureTransport 'on'. */
export interface BrokerAddress {
  hostname: string;
  port: number;
  tls: boolean;
}

export type SocketConnector = (address: BrokerAddress) => ByteSocket;

export interface WorkerdPublisherOptions {
  address: BrokerAddress;
  username?: string | undefined;
  password?: string | undefined;
  topics: Topics;
  /**
   * CONNECT → CONNACK deadline of checkReady() (/readyz). publish() has none of its own: the app's publish deadline
   * (BONKER_EDGE_PUBLISH_TIMEOUT_MS) bounds it and answers 503 with its message, and close() ends the attempt.
   */
  probeTimeoutMs: number;
  /** Longest time the connection may sit idle (the ?wait=ack wait); sets the MQTT keepalive. */
  idleSeconds: number;
  connect: SocketConnector;
  logger: Logger;
}

export type WorkerdBonkPublisher = BonkPublisher;

/** BONKER_BROKER_URL for a TCP connection (contract/broker-url.ts); ws:// and wss:// are refused, not rewritten. */
export function brokerAddress(url: string): BrokerAddress {
  const { host, port, protocol } = parseBrokerUrl(url);
  if (protocol !== 'mqtt' && protocol !== 'mqtts') {
    throw new Error(`BONKER_BROKER_URL: the Worker connects over TCP only; expected mqtt://host:port or mqtts://host:port, got ${protocol}://`);
  }
  return { hostname: host, port, tls: protocol === 'mqtts' };
}

/**
 * Connects lazily, on the first publish/waitForAcks/checkReady, so health checks and refused credentials cost no broker
 * connection. isReady() means "not known to be down"; checkReady() (/readyz) connects to find out.
 */
export function createWorkerdPublisher(options: WorkerdPublisherOptions): WorkerdBonkPublisher {
  const { topics, logger } = options;
  const waiters = createAckWaiters(topics, logger);
  const subscriptions: Promise<unknown>[] = [];
  let failure: Error | undefined;
  let opened: { session: MqttPacketSession; ready: Promise<MqttPacketSession> } | undefined;

  const open = () => (opened ??= openSession(options, (topic, payload) => waiters.dispatch(topic, payload)));
  const session = () =>
    open().ready.catch((error: Error) => {
      failure ??= error;
      throw new PublishError('not_connected', error.message);
    });

  return {
    isReady: () => failure === undefined,
    /** Connects (CONNECT/CONNACK) unless already done in this request: there is no standing connection to ask. */
    async checkReady() {
      const deadline = `no CONNACK within ${options.probeTimeoutMs} ms`;
      await withTimeout(session(), options.probeTimeoutMs, () => new Error(deadline)).catch((error: Error) => (failure ??= error));
      return failure === undefined;
    },
    async publish(device, commands) {
      const { session: mqtt } = open();
      // Listen before publishing (notification-handler.ts): the ack subscription must be in place first.
      await Promise.allSettled(subscriptions);
      const topic = topics.bonk(device);
      // Sent right behind CONNECT, without waiting for CONNACK (mqtt-packet-session.ts). A connection refused or lost
      // before CONNACK rejects both, and session() names it not_connected; one lost after it ended this publish.
      const sent = Promise.all(commands.map((command) => mqtt.publishExactlyOnce(topic, encodeBonk(command))));
      sent.catch(() => {});
      await session();
      await sent.catch((error: Error) => {
        throw new PublishError('refused', error.message);
      });
    },
    waitForAcks(device, ids, timeoutMs) {
      const waiter = waiters.wait(device, ids, timeoutMs);
      // Registered synchronously, so a publish() called right after waits for this SUBACK.
      const subscribed = session().then((mqtt) => mqtt.subscribe(topics.ack(device), QOS.ack));
      subscriptions.push(subscribed);
      // Without a subscription no ack can come: answer with none rather than wait out the timeout.
      subscribed.catch(() => waiter.done());
      return waiter.result;
    },
    async close() {
      waiters.endAll();
      await opened?.session.close();
    },
  };
}

function openSession(options: WorkerdPublisherOptions, onMessage: (topic: string, payload: Uint8Array) => void) {
  const session = openMqttSession({
    socket: options.connect(options.address),
    clientId: `bonker-edge-w-${crypto.randomUUID().slice(0, 8)}`,
    username: options.username,
    password: options.password,
    keepaliveSeconds: Math.min(0xffff, Math.max(30, Math.ceil(options.idleSeconds) + 10)),
    onMessage,
  });
  const ready = session.ready.then(
    () => session,
    async (error: Error) => {
      await session.close();
      throw error;
    },
  );
  return { session, ready };
}

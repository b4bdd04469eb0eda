// One short MQTT 3.1.1 session over any byte stream (workerd's cloudflare:sockets, or a Node socket in tests).
// mqtt-packet encodes and parses every packet; this file only keeps the handshakes (CONNACK, SUBACK, QoS 1/2 flows).
import { Buffer } from 'node:buffer';
import mqttPacket, { type Packet } from 'mqtt-packet';

/** The part of a cloudflare:sockets Socket the session needs; web streams so both runtimes can supply one. */
export interface ByteSocket {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  close(): Promise<void>;
}

export interface MqttSessionOptions {
  socket: ByteSocket;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Seconds; the broker drops a silent client after 1.5 × this ([MQTT-3.1.2-24]). 0 turns it off. */
  keepaliveSeconds: number;
  onMessage?: (topic: string, payload: Uint8Array) => void;
  /** Called once when the session ends for any reason (lost, refused, closed): a long-lived owner reconnects then. */
  onClose?: (error: Error) => void;
}

export interface MqttPacketSession {
  /** Resolves on an accepted CONNACK; rejects on refusal or a lost connection. */
  readonly ready: Promise<void>;
  subscribe(topic: string, qos: 0 | 1 | 2): Promise<number>;
  /**
   * QoS 2: resolves after an accepted CONNACK and PUBCOMP, i.e. after the broker stored the message and released it.
   * May be called before CONNACK: the PUBLISH then follows the CONNECT at once.
   */
  publishExactlyOnce(topic: string, payload: string): Promise<void>;
  /** Sends PINGREQ so the broker's keepalive timer restarts; for a connection held across requests. */
  ping(): Promise<void>;
  /** Sends DISCONNECT (best effort) and closes the socket; safe to call twice. */
  close(): Promise<void>;
}

/** [MQTT-3.2.2-3] CONNACK return codes 1-5. */
const CONNACK_REFUSALS: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

interface Pending {
  expect: Packet['cmd'];
  resolve(packet: Packet): void;
  reject(error: Error): void;
}

export function openMqttSession(options: MqttSessionOptions): MqttPacketSession {
  const { socket } = options;
  const writer = socket.writable.getWriter();
  const pending = new Map<string, Pending>();
  let failure: Error | undefined;
  let nextId = 0;
  let closing: Promise<void> | undefined;

  const fail = (error: Error) => {
    if (!failure) options.onClose?.(error);
    failure ??= error;
    for (const waiter of pending.values()) waiter.reject(failure);
    pending.clear();
  };
  const send = (packet: Packet) => {
    if (failure) return Promise.reject(failure);
    return writer.write(mqttPacket.generate(packet)).catch((error: unknown) => {
      fail(lost(error));
      throw failure;
    });
  };
  const expect = (key: string, cmd: Packet['cmd']) =>
    new Promise<Packet>((resolve, reject) => {
      if (failure) return reject(failure);
      pending.set(key, { expect: cmd, resolve, reject });
    });
  const settle = (key: string, packet: Packet) => {
    const waiter = pending.get(key);
    if (!waiter || waiter.expect !== packet.cmd) return;
    pending.delete(key);
    waiter.resolve(packet);
  };
  // [MQTT-2.3.1-1] non-zero 16-bit packet identifiers, unique among the ones in flight.
  const newId = () => (nextId = (nextId % 0xffff) + 1);

  const onPacket = (packet: Packet) => {
    switch (packet.cmd) {
      case 'connack':
        return settle('connack', packet);
      case 'suback':
      case 'pubrec':
      case 'pubcomp':
        return settle(`${packet.cmd}:${packet.messageId}`, packet);
      case 'publish':
        options.onMessage?.(packet.topic, packet.payload as Uint8Array);
        if (packet.qos === 1) void send({ cmd: 'puback', messageId: packet.messageId! }).catch(() => {});
        if (packet.qos === 2) void send({ cmd: 'pubrec', messageId: packet.messageId! }).catch(() => {});
        return;
      case 'pubrel':
        return void send({ cmd: 'pubcomp', messageId: packet.messageId! }).catch(() => {});
      default:
        return; // pingresp and anything else need no answer
    }
  };
  readLoop(socket, onPacket).then(
    () => fail(new Error('the broker closed the connection')),
    (error: unknown) => fail(lost(error)),
  );

  const ready = (async () => {
    const connack = expect('connack', 'connack');
    await send({
      cmd: 'connect',
      protocolId: 'MQTT',
      // Aedes 1.x speaks MQTT 3.1.1 only (docs/aedes.md).
      protocolVersion: 4,
      clean: true,
      clientId: options.clientId,
      keepalive: options.keepaliveSeconds,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: Buffer.from(options.password) } : {}),
    });
    const answer = (await connack) as mqttPacket.IConnackPacket;
    const code = answer.returnCode ?? 0;
    if (code !== 0) {
      const error = new Error(`the broker refused the connection: ${CONNACK_REFUSALS[code] ?? `return code ${code}`}`);
      fail(error);
      throw error;
    }
  })();
  ready.catch(() => {}); // observed by callers; keep an early failure from being reported as unhandled

  return {
    ready,
    async subscribe(topic, qos) {
      await ready;
      const messageId = newId();
      const suback = expect(`suback:${messageId}`, 'suback');
      await send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] });
      // MQTT 3.1.1 SUBACK carries one return code per topic; [MQTT-3.9.3] 0x80 means failure.
      const granted = ((await suback) as mqttPacket.ISubackPacket).granted[0] as number | undefined;
      if (granted === undefined || granted === 0x80) throw new Error(`the broker refused the subscription to ${topic}`);
      return granted;
    },
    async publishExactlyOnce(topic, payload) {
      // Not waiting for CONNACK saves a round trip: a client may send packets right after CONNECT, and a server that
      // refuses the CONNECT must not process them [MQTT-3.1.4-5]; the refusal fails this exchange (fail() above).
      const messageId = newId();
      const pubrec = expect(`pubrec:${messageId}`, 'pubrec');
      await send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 2, retain: false, dup: false, messageId });
      // [MQTT-4.3.3] Aedes stores the message before PUBREC (docs/aedes.md); PUBREL/PUBCOMP ends the exchange.
      await Promise.all([ready, pubrec]);
      const pubcomp = expect(`pubcomp:${messageId}`, 'pubcomp');
      await send({ cmd: 'pubrel', messageId });
      await pubcomp;
    },
    async ping() {
      await ready;
      await send({ cmd: 'pingreq' });
    },
    close() {
      return (closing ??= (async () => {
        if (!failure) await Promise.race([send({ cmd: 'disconnect' }).catch(() => {}), settleSoon()]);
        fail(new Error('the session was closed'));
        await socket.close().catch(() => {});
      })());
    },
  };
}

async function readLoop(socket: ByteSocket, onPacket: (packet: Packet) => void): Promise<void> {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  let parseError: Error | undefined;
  parser.on('packet', onPacket);
  parser.on('error', (error: Error) => (parseError ??= error));
  const reader = socket.readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      if (parseError) throw new Error(`malformed packet from the broker: ${parseError.message}`);
    }
  } finally {
    reader.releaseLock();
  }
}

function lost(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`connection to the broker failed: ${message}`);
}

/** A write to a peer that never reads may not settle; DISCONNECT is a courtesy, not worth waiting for. */
function settleSoon(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50));
}

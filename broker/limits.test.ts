// The broker's resource limits over real sockets: packet sizes (TCP, WebSocket), the connection budget, the CONNECT deadline.
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { WebSocket } from 'ws';
import { createTopics, type Env } from '../contract/index.ts';
import { createRecordingLogger } from '../test/helpers/recording-logger.ts';
import { waitForEvent, waitUntil } from '../test/helpers/wait.ts';
import type { LimitKind } from './metrics.ts';
import { startBroker, type RunningBroker } from './start-broker.ts';
import { asEmitter, makeTempDir, testBrokerConfig } from '../test/helpers/broker-test-support.ts';

const topic = createTopics().bonk('tux');
const CHUNK = Buffer.alloc(64 * 1024);
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A broker with WebSocket and /metrics on port 0 and a logger that keeps every line. */
async function startLimited(env: Env = {}) {
  const logger = createRecordingLogger();
  const broker = await startBroker(testBrokerConfig({ BONKER_BROKER_WS_PORT: '0', BONKER_BROKER_HTTP_PORT: '0', ...env }), logger);
  cleanups.push(broker.close);
  // Every refusal is counted before the socket is closed, so a client that saw its close can read the count at once.
  const refusals = async (limit: LimitKind) => {
    const text = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
    return Number(new RegExp(`^bonker_broker_limit_refusals_total\\{limit="${limit}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
  };
  const cutLines = () => logger.entries.filter((entry) => entry.msg === 'connection cut: over a broker limit');
  return { broker, logger, refusals, cutLines };
}

async function rawSocket(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {}); // the broker cutting us shows as ECONNRESET or EPIPE
  socket.resume(); // read (and drop) what the broker answers, e.g. a 408, so that its close reaches 'close'
  cleanups.push(async () => socket.destroy());
  await waitForEvent(socket, 'connect');
  return socket;
}

async function client(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const connection = mqtt.connect(url, { reconnectPeriod: 0, ...options });
  connection.on('error', () => {});
  cleanups.push(() => connection.endAsync(true));
  await waitForEvent(asEmitter(connection), 'connect', { timeoutMs: 10_000 });
  return connection;
}

/** A legit client publishes to another and it arrives: the broker still serves while it is being attacked. */
async function relays(broker: RunningBroker, url = `mqtt://127.0.0.1:${broker.mqttPort}`): Promise<void> {
  const subscriber = await client(url);
  await subscriber.subscribeAsync(topic, { qos: 1 });
  const publisher = await client(url);
  const arrived = waitForEvent<[string, Buffer]>(asEmitter(subscriber), 'message', { accept: (_t, payload) => payload.toString() === 'still here' });
  await publisher.publishAsync(topic, 'still here', { qos: 1 });
  await arrived;
}

/** A fixed header declaring `bytes` of remaining length [MQTT-2.2.3]. */
function header(type: number, bytes: number): Buffer {
  const out = [type << 4];
  do {
    out.push((bytes % 128) | (bytes >= 128 ? 0x80 : 0));
    bytes = Math.floor(bytes / 128);
  } while (bytes > 0);
  return Buffer.from(out);
}

/** Sends 64 KiB chunks, each once the previous one was taken, until one fails because the peer cut us; bytes sent. */
async function streamUntilCut(send: (chunk: Buffer, done: (error?: Error | null) => void) => void, total: number): Promise<number> {
  let written = 0;
  while (written < total) {
    const failed = await new Promise<boolean>((resolve) => send(CHUNK, (error) => resolve(Boolean(error))));
    if (failed) break;
    written += CHUNK.length;
  }
  return written;
}

const TWO_HUNDRED_MB = 200 * 1024 * 1024;
// What a client gets rid of before it sees the cut includes both kernels' socket buffers (about 4 MB on loopback here);
// what the broker itself read is the receivedBytes of its log line.
const KERNEL_BUFFERS = 16 * 1024 * 1024;

describe('maximum packet size, checked from the fixed header', () => {
  it('cuts a 200 MB CONNECT within a few chunks while a legit client relays', async () => {
    const { broker, refusals, cutLines } = await startLimited();
    const socket = await rawSocket(broker.mqttPort);
    const closed = waitForEvent(socket, 'close', { timeoutMs: 10_000 });
    socket.write(header(1, TWO_HUNDRED_MB));
    const [written] = await Promise.all([streamUntilCut((chunk, done) => socket.write(chunk, done), TWO_HUNDRED_MB), relays(broker)]);
    await closed;
    expect(written).toBeLessThan(KERNEL_BUFFERS);
    const [line] = cutLines();
    expect(line?.obj).toMatchObject({ limit: 'connect_size', declaredBytes: TWO_HUNDRED_MB + 5, limitBytes: 16_384 });
    expect(line?.obj.receivedBytes).toBeLessThanOrEqual(4 * CHUNK.length);
    expect(await refusals('connect_size')).toBe(1);
  });

  it('cuts only the client whose PUBLISH is over the limit, which is not delivered; exactly the limit passes', async () => {
    const { broker, refusals } = await startLimited({ BONKER_BROKER_MAX_CONNECT_BYTES: '1024', BONKER_BROKER_MAX_PACKET_BYTES: '4096' });
    const url = `mqtt://127.0.0.1:${broker.mqttPort}`;
    const subscriber = await client(url);
    await subscriber.subscribeAsync(topic, { qos: 0 });
    const sizes: number[] = [];
    subscriber.on('message', (_topic, payload) => sizes.push(payload.length));
    const publisher = await client(url);

    const atLimit = payloadForPacketOf(4096);
    const exact = waitForEvent(asEmitter(subscriber), 'message');
    await publisher.publishAsync(topic, atLimit, { qos: 0 });
    await exact;
    const cut = waitForEvent(asEmitter(publisher), 'close');
    publisher.publish(topic, Buffer.concat([atLimit, Buffer.from('!')]), { qos: 0 });
    await cut;

    // Anything the refused PUBLISH caused would have reached the subscriber before this later message.
    const other = await client(url);
    const after = waitForEvent(asEmitter(subscriber), 'message', { accept: (_t, payload: Buffer) => payload.toString() === 'after' });
    await other.publishAsync(topic, 'after', { qos: 0 });
    await after;
    expect(sizes).toEqual([atLimit.length, 'after'.length]);
    expect(subscriber.connected).toBe(true);
    expect(await refusals('packet_size')).toBe(1);
  });

  it('closes a connection whose first packet is not CONNECT, or whose length runs to a fifth byte', async () => {
    const { broker, refusals } = await startLimited();
    const notConnect = await rawSocket(broker.mqttPort);
    notConnect.write(mqttPacket.generate({ cmd: 'pingreq' }));
    await waitForEvent(notConnect, 'close');
    const malformed = await rawSocket(broker.mqttPort);
    malformed.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]));
    await waitForEvent(malformed, 'close');
    expect(await refusals('protocol')).toBe(2);
  });

  it('cuts a 200 MB CONNECT over WebSocket, and an over-limit message before ws buffers it', async () => {
    const { broker, refusals, cutLines } = await startLimited();
    const socket = await rawWebSocket(broker.wsPort!);
    const closed = waitForEvent(socket, 'close', { timeoutMs: 10_000 });
    socket.send(header(1, TWO_HUNDRED_MB));
    const [written] = await Promise.all([streamUntilCut((chunk, done) => socket.send(chunk, done), TWO_HUNDRED_MB), relays(broker)]);
    await closed;
    expect(written).toBeLessThan(KERNEL_BUFFERS);
    expect(cutLines()[0]?.obj.receivedBytes).toBeLessThanOrEqual(4 * CHUNK.length);
    expect(await refusals('connect_size')).toBe(1);

    // One WebSocket message larger than a packet may be: ws refuses it from its frame header (close code 1009).
    const oversized = await rawWebSocket(broker.wsPort!);
    const [[code]] = await Promise.all([waitForEvent<[number]>(oversized, 'close'), oversized.send(Buffer.alloc(262_145))]);
    expect(code).toBe(1009);
    expect(await refusals('connect_size')).toBe(2);
  });

  it('cuts an authenticated WebSocket client over the packet limit and keeps the others', async () => {
    const { broker, refusals } = await startLimited({ BONKER_BROKER_MAX_CONNECT_BYTES: '1024', BONKER_BROKER_MAX_PACKET_BYTES: '4096' });
    const url = `ws://127.0.0.1:${broker.wsPort}`;
    const publisher = await client(url);
    const cut = waitForEvent(asEmitter(publisher), 'close');
    publisher.publish(topic, Buffer.alloc(8_000), { qos: 0 });
    await cut;
    await relays(broker, url);
    expect(await refusals('packet_size')).toBe(1);
  });
});

describe('maximum connections', () => {
  it('makes room by closing the oldest sockets that never logged in, so idle sockets cannot lock clients out', async () => {
    const { broker, refusals, cutLines } = await startLimited({ BONKER_BROKER_MAX_CONNECTIONS: '20' });
    const closes = new EventEmitter();
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 25; i++) {
      // TCP and WebSocket ports draw on the same budget. One at a time, so "oldest" is well defined.
      const socket = await rawSocket(i % 2 ? broker.wsPort! : broker.mqttPort);
      socket.once('close', () => closes.emit('close'));
      sockets.push(socket);
    }
    // Well inside the 10 s CONNECT deadline: these are the budget's doing, and the five oldest went.
    await waitUntil(closes, 'close', () => sockets.filter((s) => s.destroyed).length === 5, 2_000);
    expect(sockets.map((s) => s.destroyed)).toEqual(sockets.map((_, i) => i < 5));
    expect(await refusals('connections')).toBe(5);
    expect(cutLines()[0]?.obj).toEqual({ limit: 'connections', remoteAddress: '127.0.0.1', maxConnections: 20, cut: 'evicted' });

    // With the budget full of idle sockets, real clients still get in at once and relay.
    await relays(broker);
  });

  it('never evicts a logged-in client: when every slot is logged in, the newcomer is refused', async () => {
    const { broker, refusals } = await startLimited({ BONKER_BROKER_MAX_CONNECTIONS: '5' });
    const url = `mqtt://127.0.0.1:${broker.mqttPort}`;
    const clients = await Promise.all(Array.from({ length: 5 }, () => client(url)));
    const late = await rawSocket(broker.mqttPort);
    if (!late.destroyed) await waitForEvent(late, 'close');
    expect(await refusals('connections')).toBe(1);
    expect(clients.every((c) => c.connected)).toBe(true);

    // A freed slot is taken by the next client.
    await clients[0]!.endAsync();
    const next = await client(url, { reconnectPeriod: 50 });
    expect(next.connected).toBe(true);
  });
});

describe('CONNECT deadline', () => {
  it('closes sockets that send no CONNECT in time, on TCP, WebSocket (before and after the upgrade) and TLS', async () => {
    const tls = await selfSignedCert();
    const { broker, refusals, cutLines } = await startLimited({
      BONKER_BROKER_CONNECT_TIMEOUT_MS: '300',
      BONKER_BROKER_TLS_PORT: '0', BONKER_BROKER_TLS_CERT: tls.certPath, BONKER_BROKER_TLS_KEY: tls.keyPath,
    });
    const started = Date.now();
    const idle = await Promise.all([broker.mqttPort, broker.wsPort!, broker.tlsPort!].map((port) => rawSocket(port)));
    const upgraded = await rawWebSocket(broker.wsPort!);
    await Promise.all([...idle.map((socket) => waitForEvent(socket, 'close')), waitForEvent(upgraded, 'close')]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250); // the deadline's doing, not an immediate refusal
    expect(await refusals('connect_timeout')).toBe(4);
    expect(cutLines()[0]?.obj).toMatchObject({ limit: 'connect_timeout', remoteAddress: '127.0.0.1' });
    await relays(broker);
  });
});

describe('refusal log', () => {
  it('logs the first refusal in full and only counts the rest until the window ends', async () => {
    const { broker, logger, cutLines } = await startLimited();
    for (let i = 0; i < 5; i++) {
      const socket = await rawSocket(broker.mqttPort);
      socket.write(header(3, 1_000_000));
      await waitForEvent(socket, 'close');
    }
    expect(cutLines()).toHaveLength(1);
    expect(JSON.stringify(cutLines()[0]!.obj)).toMatch(/"remoteAddress":"127\.0\.0\.1"/);
    await broker.close();
    const summary = logger.entries.find((entry) => entry.msg === 'more connections were cut for breaking a limit');
    expect(summary?.obj).toMatchObject({ notLogged: { protocol: 4 } });
  });
});

/** Payload that makes a QoS 0 PUBLISH on `topic` exactly `total` bytes long, fixed header included. */
function payloadForPacketOf(total: number): Buffer {
  const packetOf = (payload: Buffer) => mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 0, dup: false, retain: false });
  const payload = Buffer.alloc(total - packetOf(Buffer.alloc(0)).length - 1); // one more length byte at this size
  expect(packetOf(payload).length).toBe(total);
  return payload;
}

async function rawWebSocket(port: number): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`, 'mqtt');
  socket.on('error', () => {});
  cleanups.push(async () => socket.terminate());
  await waitForEvent(socket, 'open');
  return socket;
}

async function selfSignedCert(): Promise<{ certPath: string; keyPath: string }> {
  const dir = await makeTempDir();
  cleanups.push(dir.remove);
  const [certPath, keyPath] = [join(dir.path, 'cert.pem'), join(dir.path, 'key.pem')];
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-keyout', keyPath, '-out', certPath,
  ]);
  return { certPath, keyPath };
}

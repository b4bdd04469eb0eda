// Figures for the broker's resource limits: RSS under five streamed 200 MB CONNECTs, and 2,000 idle sockets.
// `npx tsx bench/broker-limits.ts [--compare]`: --compare also runs the memory figure with the packet limits at MQTT's
// maximum, i.e. as the broker was before it had any. Loopback only; every broker is a child process stopped by PID.
import net from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { waitForEvent } from '../test/helpers/wait.ts';
import { rssMb, startRole, type Role } from './proc.ts';

const CHUNK = Buffer.alloc(64 * 1024);
const ATTACK_BYTES = 200 * 1024 * 1024;
const MQTT_MAX = '268435460';
const BASE_ENV = { BONKER_PERSISTENCE: 'memory', BONKER_LOG_LEVEL: 'error', BONKER_BROKER_HOST: '127.0.0.1' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A CONNECT fixed header declaring `bytes` of remaining length [MQTT-2.2.3]. */
function connectHeader(bytes: number): Buffer {
  const out = [0x10];
  do {
    out.push((bytes % 128) | (bytes >= 128 ? 0x80 : 0));
    bytes = Math.floor(bytes / 128);
  } while (bytes > 0);
  return Buffer.from(out);
}

/** Streams a 200 MB CONNECT until the broker cuts it or all of it was sent; bytes sent. */
async function attack(port: number): Promise<number> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await waitForEvent(socket, 'connect');
  const write = (chunk: Buffer) => new Promise<boolean>((resolve) => socket.write(chunk, (error) => resolve(!error)));
  let sent = 0;
  if (await write(connectHeader(ATTACK_BYTES))) {
    while (sent < ATTACK_BYTES && (await write(CHUNK))) sent += CHUNK.length;
  }
  socket.end();
  if (!socket.destroyed) await waitForEvent(socket, 'close', { timeoutMs: 60_000 });
  return sent;
}

async function connected(port: number, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, ...options });
  client.on('error', () => {});
  await waitForEvent(client as never, 'connect', { timeoutMs: 30_000 });
  return client;
}

/** Publish → receive between two clients, in milliseconds. */
async function relayMs(publisher: MqttClient, subscriber: MqttClient, topic: string): Promise<number> {
  const started = performance.now();
  const arrived = waitForEvent(subscriber as never, 'message', { timeoutMs: 10_000 });
  await publisher.publishAsync(topic, 'still here', { qos: 1 });
  await arrived;
  return performance.now() - started;
}

async function withBroker<T>(env: Record<string, string>, run: (broker: Role, port: number) => Promise<T>): Promise<T> {
  const broker = await startRole('broker', { ...BASE_ENV, ...env });
  try {
    return await run(broker, Number(broker.ready.port));
  } finally {
    await broker.close();
  }
}

async function memoryFigure(label: string, env: Record<string, string>): Promise<void> {
  await withBroker(env, async (broker, port) => {
    const subscriber = await connected(port);
    await subscriber.subscribeAsync('bench/limits', { qos: 1 });
    const publisher = await connected(port);
    await relayMs(publisher, subscriber, 'bench/limits');
    const before = rssMb(broker.pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(broker.pid))), 20);
    let attacking = true;
    const relays: number[] = [];
    const relaying = (async () => {
      while (attacking) relays.push(await relayMs(publisher, subscriber, 'bench/limits'));
    })();
    const started = performance.now();
    const sent = await Promise.all(Array.from({ length: 5 }, () => attack(port)));
    const attackMs = performance.now() - started;
    attacking = false;
    await relaying;
    clearInterval(sampler);
    await sleep(2_000); // let the broker settle before "after"
    const after = rssMb(broker.pid);
    await Promise.all([publisher.endAsync(true), subscriber.endAsync(true)]);
    console.log(
      `${label}: RSS before ${before.toFixed(1)} MB, peak during ${peak.toFixed(1)} MB (+${(peak - before).toFixed(1)}), ` +
        `after ${after.toFixed(1)} MB (+${(after - before).toFixed(1)}); the 5 attackers sent ` +
        `${sent.map((bytes) => (bytes / 1024 / 1024).toFixed(1)).join(', ')} MB of their 200 before their sockets closed, ` +
        `in ${attackMs.toFixed(0)} ms (what they sent includes the kernels' socket buffers); ` +
        `${relays.length} publish→receive meanwhile, slowest ${Math.max(0, ...relays).toFixed(1)} ms`,
    );
  });
}

/** Opens `count` idle sockets (in batches, so the listen backlog does not drop SYNs); when each closed, after opening. */
async function idleSockets(port: number, count: number): Promise<{ closedAfterMs: (number | undefined)[]; sockets: net.Socket[] }> {
  const closedAfterMs: (number | undefined)[] = [];
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, async () => {
        const index = sockets.length;
        const socket = net.connect(port, '127.0.0.1');
        sockets.push(socket);
        closedAfterMs.push(undefined);
        socket.on('error', () => {});
        socket.resume(); // without a reader, an answer before the close (e.g. a 408) would hold back 'close'
        const opened = performance.now();
        socket.once('close', () => (closedAfterMs[index] = performance.now() - opened));
        await waitForEvent(socket, 'connect');
      }),
    );
  }
  return { closedAfterMs, sockets };
}

async function idleFigure(label: string, env: Record<string, string>, deadlineMs: number): Promise<void> {
  await withBroker(env, async (broker, port) => {
    const before = rssMb(broker.pid);
    const started = performance.now();
    const { closedAfterMs, sockets } = await idleSockets(port, 2_000);
    const openedMs = performance.now() - started;
    const held = rssMb(broker.pid);
    // A legit client arriving in the middle of the flood, retrying as real clients do.
    const arrival = performance.now();
    const subscriber = await connected(port, { reconnectPeriod: 100, connectTimeout: 30_000 });
    const connectMs = performance.now() - arrival;
    await subscriber.subscribeAsync('bench/idle', { qos: 1 });
    const relay = await relayMs(subscriber, subscriber, 'bench/idle');
    // Until the last socket opened has had its deadline, plus time for the broker to act on it.
    await sleep(Math.max(0, started + openedMs + deadlineMs + 3_000 - performance.now()));
    const at = (from: number, to: number) => closedAfterMs.filter((ms) => ms !== undefined && ms >= from && ms < to).length;
    const open = closedAfterMs.filter((ms) => ms === undefined).length;
    const after = rssMb(broker.pid);
    for (const socket of sockets) socket.destroy();
    await subscriber.endAsync(true);
    console.log(
      `${label}: 2,000 idle sockets opened in ${openedMs.toFixed(0)} ms (RSS ${before.toFixed(1)} → ${held.toFixed(1)} MB); ` +
        `closed within 1 s: ${at(0, 1_000)}; between 1 s and the ${deadlineMs} ms deadline: ${at(1_000, deadlineMs - 50)}; ` +
        `at the deadline (+2 s): ${at(deadlineMs - 50, deadlineMs + 2_000)}; later: ${at(deadlineMs + 2_000, Infinity)}; ` +
        `still open: ${open}; RSS after ${after.toFixed(1)} MB. A client arriving then connected after ${connectMs.toFixed(0)} ms ` +
        `and relayed in ${relay.toFixed(1)} ms`,
    );
  });
}

const compare = process.argv.includes('--compare');
await memoryFigure('defaults (CONNECT ≤ 16 KiB)', {});
if (compare) {
  await memoryFigure('limits at MQTT maximum (as before)', { BONKER_BROKER_MAX_CONNECT_BYTES: MQTT_MAX, BONKER_BROKER_MAX_PACKET_BYTES: MQTT_MAX });
}
await idleFigure('defaults (500 connections, 10 s deadline)', {}, 10_000);
await idleFigure('2,100 connections, 10 s deadline', { BONKER_BROKER_MAX_CONNECTIONS: '2100' }, 10_000);

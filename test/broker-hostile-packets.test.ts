// The `oom-bonker broker` process survives packets a client may send: a doubled PUBREL, a client id or a topic filter
// that names an Object.prototype property. Each killed the process with Aedes 2.0.0-beta.1 (docs/aedes-2-evaluation.md);
// 1.2.0 survives them all.
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import mqtt from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { createBrokerProcess, type BrokerProcess } from './cluster/broker-process.ts';
import { waitForEvent } from './helpers/wait.ts';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startBroker(): Promise<BrokerProcess> {
  const broker = await createBrokerProcess('hostile', { persistence: 'memory' });
  // SIGKILL: a broker that hangs does not answer SIGTERM.
  cleanups.push(() => broker.crash());
  await broker.start();
  return broker;
}

/** A raw MQTT 3.1.1 connection: `onPacket` answers what the broker sends; resolves with everything received. */
function rawSession(port: number, onPacket: (packet: Packet, send: (...packets: object[]) => void) => void, until: (seen: string[]) => boolean) {
  const socket = net.connect(port, '127.0.0.1');
  cleanups.push(async () => void socket.destroy());
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const send = (...packets: object[]) => socket.write(Buffer.concat(packets.map((p) => mqttPacket.generate(p as Packet))));
  const seen: string[] = [];
  return new Promise<string[]>((resolve, reject) => {
    parser.on('packet', (packet: Packet) => {
      seen.push(`${packet.cmd}${'messageId' in packet && packet.messageId !== undefined ? ` ${packet.messageId}` : ''}`);
      onPacket(packet, send);
      if (until(seen)) resolve(seen);
    });
    socket.on('data', (data) => parser.parse(data));
    socket.on('close', () => resolve(seen));
    socket.on('error', reject);
    socket.on('connect', () => send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'bonker-edge-raw', keepalive: 30 }));
  });
}

/** A new client still gets in; otherwise the failure says whether the process died (and of what) or hangs. */
async function expectStillServing(broker: BrokerProcess): Promise<void> {
  const process = broker.current();
  const died = process.exited.then(async ({ code, signal }) => {
    // The line naming the error, not the minified bundle line Node prints above it. When Node prints a very long
    // bundle line first, the pipe may not deliver the rest before the process is gone.
    const words = await process.waitForText(/^\w*Error: [^`;{}]*$/, 500).catch(() => '(its error line was not captured)');
    throw new Error(`the broker process exited (code ${code}, signal ${signal}): ${words}`);
  });
  const client = mqtt.connect(broker.url, { reconnectPeriod: 0, connectTimeout: 3_000 });
  cleanups.push(() => client.endAsync(true));
  const served = waitForEvent(client as never, 'connect', { timeoutMs: 5_000 }).catch(() => {
    throw new Error('the broker stopped serving: a new client got no CONNACK within 5 s, though the process still runs');
  });
  await Promise.race([served, died]);
  expect(process.child.exitCode).toBeNull();
}

it('answers a PUBREL sent twice in one segment with two PUBCOMPs, and keeps running', async () => {
  const broker = await startBroker();
  const seen = await rawSession(
    broker.port,
    (packet, send) => {
      if (packet.cmd === 'connack') send({ cmd: 'publish', topic: 'bonker/tux/bonk', payload: 'x', qos: 2, messageId: 7 });
      // aedes handles the packets of one read concurrently: both PUBRELs find the flow, both try to delete it.
      if (packet.cmd === 'pubrec') send({ cmd: 'pubrel', messageId: 7 }, { cmd: 'pubrel', messageId: 7 });
    },
    (received) => received.filter((name) => name === 'pubcomp 7').length === 2,
  );
  expect(seen).toEqual(['connack', 'pubrec 7', 'pubcomp 7', 'pubcomp 7']);
  await expectStillServing(broker);
});

it.each(['constructor', '__proto__', 'toString'])('accepts the client id %s (no users file) and keeps running', async (clientId) => {
  const broker = await startBroker();
  const client = mqtt.connect(broker.url, { clientId, reconnectPeriod: 0, connectTimeout: 3_000 });
  cleanups.push(() => client.endAsync(true));
  // Whether this first client gets its CONNACK depends on when the process dies; the test is whether it survives.
  await waitForEvent(client as never, 'connect', { timeoutMs: 5_000 }).catch(() => {});
  await expectStillServing(broker);
});

it.each(['hasOwnProperty', 'constructor'])('subscribes to the topic filter %s (no users file) and keeps running', async (filter) => {
  const broker = await startBroker();
  const client = mqtt.connect(broker.url, { clientId: 'bonker-admin-filters', reconnectPeriod: 0, connectTimeout: 3_000 });
  cleanups.push(() => client.endAsync(true));
  await waitForEvent(client as never, 'connect', { timeoutMs: 5_000 });
  // Whether the SUBACK arrives depends on when the process dies; the test is whether it survives.
  const closed = waitForEvent(client as never, 'close', { timeoutMs: 3_000 }).catch(() => {});
  await Promise.race([client.subscribeAsync(filter, { qos: 1 }).catch(() => {}), closed]);
  await expectStillServing(broker);
});

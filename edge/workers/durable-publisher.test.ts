// The Durable Object mode's held-connection publisher in Node: same code over a Node socket to a real Aedes.
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createTopics, encodeAck, silentLogger, type BonkCommand } from '../../contract/index.ts';
import { startTestBroker, type TestBroker } from '../../test/helpers/test-broker.ts';
import { waitForEvent } from '../../test/helpers/wait.ts';
import { createDurablePublisher } from './durable-publisher.ts';
import { connectNodeSocket } from '../../test/helpers/node-socket-connector.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function broker(options: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> {
  const started = await startTestBroker(options);
  cleanups.push(() => started.close());
  return started;
}

function publisher(port: number, keepaliveSeconds = 60) {
  const created = createDurablePublisher({
    address: { hostname: '127.0.0.1', port, tls: false },
    topics: createTopics(),
    timeoutMs: 2_000,
    keepaliveSeconds,
    connect: connectNodeSocket,
    logger: silentLogger,
  });
  cleanups.push(() => created.close());
  return created;
}

const command = (id: string): BonkCommand => ({ v: 1, id, count: 1, reason: 'test', source: 'alertmanager', labels: {}, at: 1 });

/** Client ids connected to the broker now. */
const clientIds = (b: TestBroker) => Object.keys((b.aedes as unknown as { clients: Record<string, unknown> }).clients);

describe('durable publisher (one connection held across requests)', () => {
  it('publishes at QoS 2 over one connection across several publishes', async () => {
    const b = await broker();
    const stored: string[] = [];
    b.aedes.on('publish', (packet, client) => void (client && stored.push(`${packet.topic} qos${packet.qos}`)));
    const p = publisher(b.port);
    await p.publish('tux', [command('a')]);
    const first = clientIds(b);
    await p.publish('tux', [command('b')]);
    expect(stored).toEqual(['bonker/tux/bonk qos2', 'bonker/tux/bonk qos2']);
    expect(first).toHaveLength(1);
    expect(clientIds(b)).toEqual(first);
  });

  it('sends PINGREQ while idle, so the broker keeps the connection', async () => {
    const b = await broker();
    const p = publisher(b.port, 1);
    await p.publish('tux', [command('a')]);
    const [, client] = await waitForEvent<[unknown, { id: string }]>(b.aedes as never, 'ping', { timeoutMs: 5_000 });
    expect(clientIds(b)).toEqual([client.id]);
  });

  it('reconnects on the next publish after the broker dropped the connection', async () => {
    const b = await broker();
    const p = publisher(b.port);
    await p.publish('tux', [command('a')]);
    const [before] = clientIds(b);
    const gone = waitForEvent(b.aedes as never, 'clientDisconnect', { timeoutMs: 5_000 });
    (b.aedes as unknown as { clients: Record<string, { close(): void }> }).clients[before!]!.close();
    await gone;
    await p.publish('tux', [command('b')]);
    expect(clientIds(b)).toHaveLength(1);
    expect(clientIds(b)[0]).not.toBe(before);
  });

  it('drops the held connection once the app\'s deadline passed, without a retry, and the next publish opens a new one', async () => {
    // The broker takes the second PUBLISH and never confirms it (no PUBREC) until told to.
    let publishes = 0;
    let confirm = () => {};
    let arrived = () => {};
    const held = new Promise<void>((resolve) => (arrived = resolve));
    const b = await broker({
      authorizePublish: (_client, _packet, done) => {
        publishes += 1;
        if (publishes !== 2) return done(null);
        confirm = () => done(null);
        arrived();
      },
    });
    const p = publisher(b.port);
    await p.publish('tux', [command('a')]);
    const [before] = clientIds(b);
    const deadline = new AbortController();
    const silent = p.publish('tux', [command('b')], deadline.signal).catch((error: unknown) => error);
    await held;
    const gone = waitForEvent(b.aedes as never, 'clientDisconnect', { timeoutMs: 5_000 });
    deadline.abort(new Error('deadline'));
    await gone;
    expect(await silent).toMatchObject({ name: 'PublishError' });
    confirm();
    await p.publish('tux', [command('c')]);
    expect(publishes).toBe(3);
    expect(clientIds(b)).toHaveLength(1);
    expect(clientIds(b)[0]).not.toBe(before);
  });

  it('sees acks through its one `bonker/+/ack` subscription', async () => {
    const b = await broker();
    const device = await mqtt.connectAsync(b.url, { protocolVersion: 4 });
    cleanups.push(() => device.endAsync(true));
    await device.subscribeAsync('bonker/+/bonk', { qos: 1 });
    device.on('message', (_topic, payload) => {
      const { id } = JSON.parse(payload.toString()) as { id: string };
      void device.publishAsync('bonker/tux/ack', encodeAck({ id, result: 'done', bonks: 1, startedAt: 1, finishedAt: 2 }), { qos: 1 });
    });
    const p = publisher(b.port);
    await p.publish('tux', [command('warm')]); // connected and subscribed before this request
    const acks = p.waitForAcks('tux', ['a1'], 5_000);
    await p.publish('tux', [command('a1')]);
    expect((await acks).map((ack) => ack.id)).toEqual(['a1']);
  });

  it('answers checkReady() false and fails publish when nothing listens', async () => {
    const b = await broker();
    const port = b.port;
    await b.close();
    const p = publisher(port);
    expect(await p.checkReady()).toBe(false);
    await expect(p.publish('tux', [command('a')])).rejects.toMatchObject({ name: 'PublishError', step: 'not_connected' });
  });
});

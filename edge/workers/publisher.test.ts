// The workerd publisher's MQTT logic in Node: the same code over a Node TCP socket (as web streams) to real Aedes.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createTopics, encodeAck, silentLogger, type BonkCommand } from '../../contract/index.ts';
import { startTestBroker, type TestBroker } from '../../test/helpers/test-broker.ts';
import { connectNodeSocket } from '../../test/helpers/node-socket-connector.ts';
import { brokerAddress, createWorkerdPublisher, type WorkerdBonkPublisher } from './publisher.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function broker(options: Parameters<typeof Aedes.createBroker>[0] = {}): Promise<TestBroker> {
  const started = await startTestBroker(options);
  cleanups.push(() => started.close());
  return started;
}

function publisher(port: number, extra: { username?: string; password?: string } = {}): WorkerdBonkPublisher {
  const created = createWorkerdPublisher({
    address: { hostname: '127.0.0.1', port, tls: false },
    topics: createTopics(),
    probeTimeoutMs: 1_000,
    idleSeconds: 5,
    connect: connectNodeSocket,
    logger: silentLogger,
    ...extra,
  });
  cleanups.push(() => created.close());
  return created;
}

const command = (id: string): BonkCommand => ({ v: 1, id, count: 1, reason: 'test', source: 'alertmanager', labels: {}, at: 1 });

describe('workerd publisher (over a Node socket)', () => {
  it('publishes at QoS 2 and resolves only after the broker stored it', async () => {
    const { aedes, port } = await broker();
    const stored: string[] = [];
    aedes.on('publish', (packet, client) => void (client && stored.push(`${packet.topic} qos${packet.qos}`)));
    const p = publisher(port);
    await p.publish('tux', [command('a'), command('b')]);
    expect(stored).toEqual(['bonker/tux/bonk qos2', 'bonker/tux/bonk qos2']);
    expect(p.isReady()).toBe(true);
  });

  it('subscribes to the ack topic before publishing, so an instant ack is seen', async () => {
    const { url, port } = await broker();
    const device = await mqtt.connectAsync(url, { protocolVersion: 4 });
    cleanups.push(() => device.endAsync(true));
    await device.subscribeAsync('bonker/tux/bonk', { qos: 1 });
    device.on('message', (_topic, payload) => {
      const { id } = JSON.parse(payload.toString()) as { id: string };
      void device.publishAsync('bonker/tux/ack', encodeAck({ id, result: 'done', bonks: 1, startedAt: 1, finishedAt: 2 }), { qos: 1 });
    });
    const p = publisher(port);
    const acks = p.waitForAcks('tux', ['x', 'y'], 5_000);
    await p.publish('tux', [command('x'), command('y')]);
    expect((await acks).map((a) => a.id).sort()).toEqual(['x', 'y']);
  });

  it('rejects with a not_connected PublishError when nothing listens, and is then not ready', async () => {
    const { port, close } = await broker();
    await close();
    const p = publisher(port);
    expect(p.isReady()).toBe(true); // not known to be down until it tried
    await expect(p.publish('tux', [command('a')])).rejects.toMatchObject({ name: 'PublishError', step: 'not_connected' });
    expect(p.isReady()).toBe(false);
    expect(await p.checkReady()).toBe(false);
  });

  it('rejects when the broker refuses the CONNECT, and the PUBLISH sent behind it is not stored', async () => {
    const { aedes, port } = await broker({ authenticate: (_c, _u, _p, callback) => callback(null, false) });
    const stored: string[] = [];
    aedes.on('publish', (packet, client) => void (client && stored.push(packet.topic)));
    const p = publisher(port, { username: 'edge', password: 'wrong' });
    await expect(p.publish('tux', [command('a')])).rejects.toThrow(/refused the connection: not authorized/);
    expect(stored).toEqual([]);
  });

  it('checkReady() gives up after its deadline on a broker that never answers', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const sockets: net.Socket[] = [];
    silent.on('connection', (s) => sockets.push(s));
    cleanups.push(() => new Promise<void>((resolve) => (sockets.forEach((s) => s.destroy()), silent.close(() => resolve()))));
    const p = publisher((silent.address() as AddressInfo).port);
    expect(await p.checkReady()).toBe(false);
    expect(p.isReady()).toBe(false);
  });
});

describe('brokerAddress', () => {
  it.each([
    ['mqtt://127.0.0.1:1883', { hostname: '127.0.0.1', port: 1883, tls: false }],
    ['mqtt://broker.example', { hostname: 'broker.example', port: 1883, tls: false }],
    ['mqtts://broker.example', { hostname: 'broker.example', port: 8883, tls: true }],
    ['tls://[::1]:8884', { hostname: '::1', port: 8884, tls: true }],
  ])('reads %s', (url, address) => expect(brokerAddress(url)).toEqual(address));

  it('refuses ws:// with a message that says what works', () => {
    expect(() => brokerAddress('wss://broker.example/mqtt')).toThrow(/expected mqtt:\/\/host:port or mqtts:\/\/host:port, got wss:/);
  });
});

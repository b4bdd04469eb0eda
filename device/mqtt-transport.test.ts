// The agent's own stream builder under mqtt.js's MqttClient: TCP, WebSocket, TLS, and brokers tried in turn.
import { afterEach, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { IClientOptions, MqttClient } from 'mqtt';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { silentLogger } from '../contract/index.ts';
import { startBroker } from '../broker/start-broker.ts';
import { testBrokerConfig } from '../test/helpers/broker-test-support.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { startTestBroker } from '../test/helpers/test-broker.ts';
import { waitForEvent } from '../test/helpers/wait.ts';
import { parseBrokerUrl as brokerAddress, type BrokerAddress } from '../contract/index.ts';
import { createMqttClient } from './mqtt-transport.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function client(addresses: BrokerAddress[], options: IClientOptions = {}): Promise<MqttClient> {
  const made = await createMqttClient(addresses, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, writeCache: false, ...options });
  cleanups.push(() => made.endAsync(true));
  return made;
}

/** A QoS 1 round trip through the broker on the client's own subscription. */
async function roundTrip(c: MqttClient): Promise<string> {
  await c.subscribeAsync('t/echo', { qos: 1 });
  const got = waitForEvent<[string, Buffer]>(c, 'message');
  await c.publishAsync('t/echo', 'hello', { qos: 1 });
  return String((await got)[1]);
}

it('parses broker URLs with their default ports', () => {
  expect(brokerAddress('mqtt://a')).toEqual({ host: 'a', port: 1883, protocol: 'mqtt' });
  expect(brokerAddress('tls://b')).toEqual({ host: 'b', port: 8883, protocol: 'mqtts' });
  expect(brokerAddress('ws://[::1]:9001/mqtt')).toEqual({ host: '::1', port: 9001, protocol: 'ws', path: '/mqtt' });
  expect(brokerAddress('wss://c')).toEqual({ host: 'c', port: 443, protocol: 'wss', path: '/' });
});

it('connects over TCP and carries messages', async () => {
  const broker = await startTestBroker();
  cleanups.push(broker.close);
  const c = await client([brokerAddress(broker.url)]);
  await waitForEvent(c, 'connect');
  expect(await roundTrip(c)).toBe('hello');
  expect(c.options).toMatchObject({ protocol: 'mqtt', hostname: '127.0.0.1', port: broker.port });
});

it('connects over WebSocket when the broker URL is ws://', async () => {
  const broker = await startBroker(testBrokerConfig({ BONKER_BROKER_WS_PORT: '0' }), silentLogger);
  cleanups.push(broker.close);
  const c = await client([brokerAddress(`ws://127.0.0.1:${broker.wsPort}`)]);
  await waitForEvent(c, 'connect');
  expect(await roundTrip(c)).toBe('hello');
});

it('asks a WebSocket broker for the path of its URL (a broker behind a proxy at /mqtt)', async () => {
  const broker = await startTestBroker();
  cleanups.push(broker.close);
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  await waitForEvent(server, 'listening');
  const paths: string[] = [];
  server.on('connection', (socket, request) => {
    paths.push(request.url ?? '');
    broker.aedes.handle(createWebSocketStream(socket) as never, request as never);
  });
  const { port } = server.address() as AddressInfo;
  const c = await client([brokerAddress(`ws://127.0.0.1:${port}/proxied/mqtt?tenant=home`)]);
  await waitForEvent(c, 'connect');
  expect(paths).toEqual(['/proxied/mqtt?tenant=home']);
  expect(await roundTrip(c)).toBe('hello');
});

it('tries the brokers in turn, one per connection attempt', async () => {
  const broker = await startTestBroker();
  cleanups.push(broker.close);
  const closed = await freePort();
  const c = await client([brokerAddress(`mqtt://127.0.0.1:${closed}`), brokerAddress(broker.url)], { reconnectPeriod: 50 });
  const errors: string[] = [];
  c.on('error', (error) => errors.push(String((error as NodeJS.ErrnoException).code ?? error.message)));
  await waitForEvent(c, 'connect');
  expect(errors).toContain('ECONNREFUSED');
  expect(c.options.port).toBe(broker.port);
});

it('speaks TLS for mqtts:// (a plain MQTT listener never completes the handshake)', async () => {
  const broker = await startTestBroker();
  cleanups.push(broker.close);
  const c = await client([{ host: '127.0.0.1', port: broker.port, protocol: 'mqtts' }]);
  c.on('connect', () => expect.fail('connected without TLS'));
  const [error] = await waitForEvent<[NodeJS.ErrnoException]>(c, 'error');
  expect(error.code ?? error.message).toMatch(/ECONNRESET|EPROTO|SSL|TLS|socket disconnected/i);
  expect(c.connected).toBe(false);
});

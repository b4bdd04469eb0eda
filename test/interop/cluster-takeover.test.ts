// Client ids bound to users across a Redis-backed cluster: a device user connecting to the other broker with another
// device's id is refused there too, the real device is not kicked off its broker, and its queue stays its own.
import { afterAll, beforeAll, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { createTopics, deviceClientId, newClientId, silentLogger } from '../../contract/index.ts';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { asEmitter, testBrokerConfig } from '../helpers/broker-test-support.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { deviceUser, writeUsersFile } from '../helpers/users-file.ts';
import { waitForEvent, waitUntil } from '../helpers/wait.ts';

const PASSWORD = 'cluster takeover';
const topics = createTopics();
const cleanups: (() => Promise<unknown>)[] = [];
let a: RunningBroker;
let b: RunningBroker;

beforeAll(async () => {
  const dir = await makeTempDir('bonker-cluster-ids-');
  cleanups.push(dir.remove);
  const usersFile = await writeUsersFile(dir.path, PASSWORD, [{ username: 'admin', role: 'admin' }, deviceUser('desk'), deviceUser('tux')]);
  const redis: RedisServer = await startRedis();
  cleanups.push(redis.close);
  const config = testBrokerConfig({ BONKER_PERSISTENCE: redis.url, BONKER_USERS_FILE: usersFile });
  a = await startBroker(config, silentLogger);
  cleanups.push(a.close);
  b = await startBroker(config, silentLogger);
  cleanups.push(b.close);
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const urlOf = (broker: RunningBroker) => `mqtt://127.0.0.1:${broker.mqttPort}`;

async function connect(broker: RunningBroker, username: string, options: mqtt.IClientOptions): Promise<MqttClient> {
  const client = mqtt.connect(urlOf(broker), { username, password: PASSWORD, reconnectPeriod: 0, ...options });
  cleanups.push(() => client.endAsync(true));
  await waitForEvent(asEmitter(client), 'connect', { timeoutMs: 10_000 });
  return client;
}

async function takeoverCode(broker: RunningBroker): Promise<number | undefined> {
  const rogue = mqtt.connect(urlOf(broker), { username: 'tux', password: PASSWORD, clientId: deviceClientId('desk'), clean: false, reconnectPeriod: 0 });
  try {
    const [error] = await waitForEvent<[Error & { code?: number }]>(asEmitter(rogue), 'error', { failOn: 'connect', timeoutMs: 10_000 });
    return error.code;
  } finally {
    await rogue.endAsync(true);
  }
}

it("refuses desk's id to tux on either broker and keeps desk's queue and connection", async () => {
  const deskOptions = { clientId: deviceClientId('desk'), clean: false };
  const first = await connect(a, 'desk', deskOptions);
  await first.subscribeAsync(topics.bonk('desk'), { qos: 1 });
  await first.endAsync();

  const admin = await connect(b, 'admin', { clientId: newClientId('admin') });
  for (const n of [1, 2, 3]) await admin.publishAsync(topics.bonk('desk'), `queued-${n}`, { qos: 1 });
  expect(await takeoverCode(b)).toBe(2);
  expect(await takeoverCode(a)).toBe(2);

  const received: string[] = [];
  const desk = mqtt.connect(urlOf(a), { username: 'desk', password: PASSWORD, reconnectPeriod: 0, ...deskOptions, manualConnect: true });
  cleanups.push(() => desk.endAsync(true));
  desk.on('message', (_topic, payload) => received.push(payload.toString()));
  let closes = 0;
  desk.on('close', () => closes++);
  desk.connect();
  await waitUntil(asEmitter(desk), 'message', () => received.length === 3, 10_000);
  expect(received).toEqual(['queued-1', 'queued-2', 'queued-3']);

  // A refused attempt on the other broker must not reach desk's connection through the shared emitter.
  expect(await takeoverCode(b)).toBe(2);
  await admin.publishAsync(topics.bonk('desk'), 'live', { qos: 1 });
  await waitUntil(asEmitter(desk), 'message', () => received.includes('live'), 10_000);
  expect(closes).toBe(0);
}, 60_000);

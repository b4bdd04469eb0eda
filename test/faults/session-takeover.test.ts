// A device user trying to take over another device's persistent session, over real sockets with a users file on:
// refused at CONNECT, the real device is not kicked off, and every bonk answered 200 still strikes on the real device.
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTopics, deviceClientId, newClientId, silentLogger } from '../../contract/index.ts';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { testBrokerConfig } from '../helpers/broker-test-support.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { deviceUser, writeUsersFile } from '../helpers/users-file.ts';
import { waitForEvent } from '../helpers/wait.ts';
import { numberedAlert, postAlert, startRecordedDevice, startTestEdge } from './fault-kit.ts';

const PASSWORD = 'takeover password';
const topics = createTopics();
const cleanups: (() => Promise<unknown>)[] = [];
let broker: RunningBroker;
let url: string;
let stateDir: string;
const login = (username: string) => ({ username, password: PASSWORD });
const deviceEnv = (device: string) => ({
  BONKER_DEVICE_ID: device, BONKER_DEVICE_MQTT_USERNAME: device, BONKER_DEVICE_MQTT_PASSWORD: PASSWORD,
});

beforeAll(async () => {
  const dir = await makeTempDir('bonker-takeover-');
  cleanups.push(dir.remove);
  const usersFile = await writeUsersFile(dir.path, PASSWORD, [{ username: 'edge', role: 'edge' }, deviceUser('desk'), deviceUser('tux')]);
  broker = await startBroker(
    testBrokerConfig({ BONKER_USERS_FILE: usersFile, BONKER_PERSISTENCE: 'level', BONKER_DATA_DIR: `${dir.path}/broker` }),
    silentLogger,
  );
  cleanups.push(broker.close);
  url = `mqtt://127.0.0.1:${broker.mqttPort}`;
  stateDir = `${dir.path}/desk`;
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** tux connecting with desk's client id and a persistent session, as the attacker did. */
async function takeoverAttempt(): Promise<{ code: number | undefined; messages: string[] }> {
  const rogue = mqtt.connect(url, { ...login('tux'), clientId: deviceClientId('desk'), clean: false, reconnectPeriod: 0 });
  const messages: string[] = [];
  rogue.on('message', (topic) => messages.push(topic));
  try {
    const [error] = await waitForEvent<[Error & { code?: number }]>(rogue, 'error', { failOn: 'connect' });
    return { code: error.code, messages };
  } finally {
    await rogue.endAsync(true);
  }
}

it("refuses another device's client id, keeps desk's queue for desk, and never kicks desk off", async () => {
  // desk's session exists (subscribed, clean: false), then desk goes offline.
  await (await startRecordedDevice(url, stateDir, deviceEnv('desk'))).close();
  const edge = await startTestEdge(url, { BONKER_EDGE_MQTT_USERNAME: 'edge', BONKER_EDGE_MQTT_PASSWORD: PASSWORD });
  cleanups.push(edge.close);
  const queued: string[] = [];
  for (const n of [1, 2, 3]) {
    const result = await postAlert(edge.url, numberedAlert(n, { device: 'desk' }));
    expect(result.status).toBe(200);
    queued.push(...result.published);
  }

  const attempt = await takeoverAttempt();
  expect(attempt).toEqual({ code: 2, messages: [] });
  // With its own id, tux may not subscribe to desk's bonks either (SUBACK 0x80).
  const own = await mqtt.connectAsync(url, { ...login('tux'), clientId: deviceClientId('tux'), reconnectPeriod: 0 });
  cleanups.push(() => own.endAsync(true));
  await expect(own.subscribeAsync(topics.bonk('desk'), { qos: 1 })).rejects.toMatchObject({ packet: { granted: [128] } });

  const desk = await startRecordedDevice(url, stateDir, deviceEnv('desk'));
  cleanups.push(desk.close);
  await desk.waitForIds(queued);
  expect(desk.acks.map((ack) => [ack.id, ack.result])).toEqual(queued.map((id) => [id, 'done']));
  expect(desk.strikes()).toBe(3);

  // While desk is online, a takeover attempt must not disconnect it: its next bonk arrives on the same connection.
  let reconnects = 0;
  desk.device.events.on('connected', () => reconnects++);
  expect((await takeoverAttempt()).code).toBe(2);
  const next = await postAlert(edge.url, numberedAlert(4, { device: 'desk' }));
  await desk.waitForIds(next.published);
  expect(desk.strikes()).toBe(4);
  expect(reconnects).toBe(0);
});

it("refuses desk's id to users of other roles too", async () => {
  for (const username of ['edge', 'tux']) {
    const client = mqtt.connect(url, { ...login(username), clientId: deviceClientId('desk'), clean: true, reconnectPeriod: 0 });
    const [error] = await waitForEvent<[Error & { code?: number }]>(client, 'error', { failOn: 'connect' });
    await client.endAsync(true);
    expect(error.code).toBe(2);
  }
  // An edge id is the edge's alone as well.
  const client = mqtt.connect(url, { ...login('desk'), clientId: newClientId('edge'), reconnectPeriod: 0 });
  const [error] = await waitForEvent<[Error & { code?: number }]>(client, 'error', { failOn: 'connect' });
  await client.endAsync(true);
  expect(error.code).toBe(2);
});

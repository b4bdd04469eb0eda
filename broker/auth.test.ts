// Users, passwords and the ACL over real sockets: refused connects, publishes and subscriptions, logged without secrets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { createTopics, deviceClientId, newClientId, type Logger } from '../contract/index.ts';
import { deviceUser, writeUsersFile } from '../test/helpers/users-file.ts';
import { waitForEvent } from '../test/helpers/wait.ts';
import { startBroker, type RunningBroker } from './start-broker.ts';
import { asEmitter, makeTempDir, testBrokerConfig } from '../test/helpers/broker-test-support.ts';

const P = createTopics();
const PASSWORD = 'correct horse';
const warnings: Record<string, unknown>[] = [];
const recordingLogger: Logger = {
  trace: () => {}, debug: () => {}, info: () => {}, error: () => {}, fatal: () => {},
  warn: (obj: object | string) => void warnings.push(typeof obj === 'string' ? { msg: obj } : { ...obj }),
  child: () => recordingLogger,
};

let broker: RunningBroker;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const dir = await makeTempDir();
  cleanups.push(dir.remove);
  const usersPath = await writeUsersFile(dir.path, PASSWORD, [
    { username: 'edge', role: 'edge' }, deviceUser('tux'), deviceUser('pi-2'), { username: 'admin', role: 'admin' },
  ]);
  broker = await startBroker(testBrokerConfig({ BONKER_USERS_FILE: usersPath }), recordingLogger);
  cleanups.push(broker.close);
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Each user connects with an id of its own: devices their one id, the others one in their role's namespace. */
const CLIENT_IDS: Record<string, () => string> = {
  edge: () => newClientId('edge'), tux: () => deviceClientId('tux'), 'pi-2': () => deviceClientId('pi-2'), admin: () => newClientId('admin'),
};

async function login(username: string, password = PASSWORD): Promise<MqttClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${broker.mqttPort}`, { username, password, reconnectPeriod: 0, clientId: CLIENT_IDS[username]!() });
  cleanups.push(() => client.endAsync(true));
  await waitForEvent(asEmitter(client), 'connect');
  return client;
}

describe('authentication', () => {
  it('refuses a wrong password and an unknown user, logging no password', async () => {
    for (const [username, password] of [['tux', 'wrong'], ['nobody', PASSWORD]] as const) {
      const client = mqtt.connect(`mqtt://127.0.0.1:${broker.mqttPort}`, { username, password, reconnectPeriod: 0 });
      cleanups.push(() => client.endAsync(true));
      const [error] = await waitForEvent<[Error & { code?: number }]>(asEmitter(client), 'error');
      expect(error.code).toBe(4);
    }
    expect(warnings).toContainEqual(expect.objectContaining({ kind: 'connect', username: 'tux', reason: 'bad username or password' }));
    expect(JSON.stringify(warnings)).not.toMatch(/wrong|correct horse/);
  });

  it('refuses a client without credentials when a users file is configured', async () => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${broker.mqttPort}`, { reconnectPeriod: 0 });
    cleanups.push(() => client.endAsync(true));
    const [error] = await waitForEvent<[Error & { code?: number }]>(asEmitter(client), 'error');
    expect(error.code).toBe(4);
  });
});

describe('ACL over real sockets', () => {
  it('closes a device that publishes another device\'s bonk, and the bonk goes nowhere', async () => {
    const victim = await login('pi-2');
    const seen: string[] = [];
    victim.on('message', (_topic, payload) => seen.push(payload.toString()));
    expect(await victim.subscribeAsync(P.bonk('pi-2'), { qos: 1 })).toEqual([expect.objectContaining({ qos: 1 })]);

    const rogue = await login('tux');
    rogue.publish(P.bonk('pi-2'), 'forged', { qos: 1 });
    await waitForEvent(asEmitter(rogue), 'close');
    expect(warnings).toContainEqual(expect.objectContaining({ kind: 'publish', username: 'tux', topic: P.bonk('pi-2') }));

    // The admin's bonk is published after the forged one was refused, so it must be the first thing pi-2 sees.
    const admin = await login('admin');
    await admin.publishAsync(P.bonk('pi-2'), 'genuine', { qos: 1 });
    await waitForEvent(asEmitter(victim), 'message');
    expect(seen).toEqual(['genuine']);
  });

  it('refuses the edge bonk topics and #, but grants it the acks', async () => {
    const edge = await login('edge');
    expect(await grantedQos(edge, [P.bonk('tux'), P.all('bonk'), '#', P.all('ack')])).toEqual([128, 128, 128, 1]);
    expect(warnings).toContainEqual(expect.objectContaining({ kind: 'subscribe', username: 'edge', topic: '#' }));
  });

  it('lets a device subscribe to its own bonks only', async () => {
    const tux = await login('tux');
    expect(await grantedQos(tux, [P.bonk('tux'), P.all('bonk')])).toEqual([1, 128]);
  });
});

/** SUBACK return codes; mqtt.js rejects when any is 0x80 (failure) and carries the SUBACK on the error. */
async function grantedQos(client: MqttClient, filters: string[]): Promise<number[]> {
  const request = Object.fromEntries(filters.map((filter) => [filter, { qos: 1 as const }]));
  try {
    return (await client.subscribeAsync(request)).map((grant) => grant.qos);
  } catch (error) {
    const granted = (error as { packet?: { granted?: (number | { qos: number })[] } }).packet?.granted;
    if (!granted) throw error;
    return granted.map((grant) => (typeof grant === 'number' ? grant : grant.qos));
  }
}

// The ACL matrix over real sockets: every role × topic family × publish/subscribe, judged by the broker itself.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { createTopics, silentLogger } from '../contract/index.ts';
import { waitForEvent } from '../test/helpers/wait.ts';
import { hashPassword } from './passwords.ts';
import { startBroker, type RunningBroker } from './start-broker.ts';
import { asEmitter, makeTempDir, testBrokerConfig } from './test-support.ts';

const P = createTopics();
const PASSWORD = 'matrix password';
// X is the device under test, Y another device. `#` as a publish topic is not a topic name, so the publish rows use
// a topic outside every family instead.
const TOPICS = {
  'bonk X': P.bonk('tux'), 'bonk Y': P.bonk('pi-2'), 'ack X': P.ack('tux'), 'ack Y': P.ack('pi-2'),
  'status X': P.status('tux'), 'status Y': P.status('pi-2'), $SYS: '$SYS/broker/uptime', other: 'elsewhere/thing',
} as const;
const FILTERS = { ...TOPICS, 'bonk +': P.all('bonk'), 'ack +': P.all('ack'), 'status +': P.all('status'), '$SYS #': '$SYS/#', '#': '#' } as const;
type Topic = keyof typeof TOPICS;
type Filter = keyof typeof FILTERS;

const EVERY_TOPIC = Object.keys(TOPICS) as Topic[];
const EVERY_FILTER = Object.keys(FILTERS) as Filter[];
const allBut = <K extends string>(all: K[], ...no: K[]) => all.filter((k) => !no.includes(k));

/** What each role may do (README "Security"); everything not listed must be refused. */
const MATRIX: Record<string, { user?: string; publish: Topic[]; subscribe: Filter[] }> = {
  edge: { user: 'edge', publish: ['bonk X', 'bonk Y'], subscribe: ['ack X', 'ack Y', 'ack +'] },
  'device X': { user: 'tux', publish: ['ack X', 'status X'], subscribe: ['bonk X'] },
  'device Y': { user: 'pi-2', publish: ['ack Y', 'status Y'], subscribe: ['bonk Y'] },
  viewer: { user: 'viewer', publish: [], subscribe: ['ack X', 'ack Y', 'ack +', 'status X', 'status Y', 'status +'] },
  admin: { user: 'admin', publish: allBut(EVERY_TOPIC, '$SYS'), subscribe: EVERY_FILTER },
  'anonymous (no users file)': { publish: allBut(EVERY_TOPIC, '$SYS'), subscribe: EVERY_FILTER },
};

let secured: RunningBroker;
let open: RunningBroker;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const dir = await makeTempDir();
  cleanups.push(dir.remove);
  const password = await hashPassword(PASSWORD);
  const users = [
    { username: 'edge', role: 'edge', password },
    { username: 'tux', role: 'device', device: 'tux', password },
    { username: 'pi-2', role: 'device', device: 'pi-2', password },
    { username: 'viewer', role: 'viewer', password },
    { username: 'admin', role: 'admin', password },
  ];
  await writeFile(join(dir.path, 'users.json'), JSON.stringify({ users }));
  secured = await startBroker(testBrokerConfig({ BONKER_USERS_FILE: join(dir.path, 'users.json') }), silentLogger);
  cleanups.push(secured.close);
  open = await startBroker(testBrokerConfig(), silentLogger);
  cleanups.push(open.close);
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function connect(user: string | undefined, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const broker = user ? secured : open;
  const client = mqtt.connect(`mqtt://127.0.0.1:${broker.mqttPort}`, {
    reconnectPeriod: 0, ...(user ? { username: user, password: PASSWORD } : {}), ...options,
  });
  cleanups.push(() => client.endAsync(true));
  await waitForEvent(asEmitter(client), 'connect');
  return client;
}

/** 'allowed' on PUBACK; 'refused' when the broker closes the connection ([MQTT-3.3.5-2]: 3.1.1 has no other answer). */
async function tryPublish(client: MqttClient, topic: string, retain = false): Promise<'allowed' | 'refused'> {
  const closed = waitForEvent(asEmitter(client), 'close', { timeoutMs: 5_000 }).then(() => 'refused' as const);
  const acked = client.publishAsync(topic, 'matrix', { qos: 1, retain }).then(() => 'allowed' as const);
  return Promise.race([closed, acked]);
}

/** mqtt.js rejects a SUBACK 0x80 with the packet attached; anything else is a real failure. */
async function trySubscribe(client: MqttClient, filter: string): Promise<'allowed' | 'refused'> {
  try {
    const [granted] = await client.subscribeAsync(filter, { qos: 1 });
    return granted!.qos === 0x80 ? 'refused' : 'allowed';
  } catch (error) {
    const granted = (error as { packet?: { granted?: unknown[] } }).packet?.granted;
    if (granted?.length === 1 && granted[0] === 0x80) return 'refused';
    throw error;
  }
}

describe.each(Object.entries(MATRIX))('%s', (_role, grants) => {
  it('publish: allowed where granted, refused (connection closed) elsewhere', async () => {
    const verdicts: Record<string, string> = {};
    let client = await connect(grants.user);
    for (const name of EVERY_TOPIC) {
      verdicts[name] = await tryPublish(client, TOPICS[name]);
      // A refusal costs the connection; the next topic gets a fresh one.
      if (verdicts[name] === 'refused') client = await connect(grants.user);
    }
    const expected = Object.fromEntries(EVERY_TOPIC.map((n) => [n, grants.publish.includes(n) ? 'allowed' : 'refused']));
    expect(verdicts).toEqual(expected);
  });

  it('subscribe: granted where allowed, SUBACK 0x80 elsewhere, on one connection', async () => {
    const client = await connect(grants.user);
    const verdicts: Record<string, string> = {};
    for (const name of EVERY_FILTER) {
      verdicts[name] = await trySubscribe(client, FILTERS[name]);
    }
    expect(client.connected).toBe(true);
    const expected = Object.fromEntries(EVERY_FILTER.map((n) => [n, grants.subscribe.includes(n) ? 'allowed' : 'refused']));
    expect(verdicts).toEqual(expected);
  });
});

describe('with a users file', () => {
  it('refuses anonymous clients and a wrong password at CONNECT', async () => {
    for (const options of [{}, { username: 'tux', password: 'wrong' }]) {
      const client = mqtt.connect(`mqtt://127.0.0.1:${secured.mqttPort}`, { reconnectPeriod: 0, ...options });
      cleanups.push(() => client.endAsync(true));
      const [error] = await waitForEvent<[Error & { code?: number }]>(asEmitter(client), 'error');
      expect(error.code).toBe(4);
    }
  });

  it("refuses a retained message injected on another device's status, and stores nothing", async () => {
    const intruder = await connect('pi-2');
    expect(await tryPublish(intruder, TOPICS['status X'], true)).toBe('refused');
    const stored: { payload: Buffer }[] = [];
    for await (const packet of retainedStream(secured, TOPICS['status X'])) stored.push(packet);
    expect(stored.map((p) => p.payload.toString())).not.toContain('matrix');
    // Its own status it may retain: the store check above would have seen an accepted one.
    const owner = await connect('tux');
    expect(await tryPublish(owner, TOPICS['status X'], true)).toBe('allowed');
    const after: { payload: Buffer }[] = [];
    for await (const packet of retainedStream(secured, TOPICS['status X'])) after.push(packet);
    expect(after.map((p) => p.payload.toString())).toEqual(['matrix']);
  });
});

function retainedStream(broker: RunningBroker, pattern: string): AsyncIterable<{ payload: Buffer }> {
  const persistence = (broker.aedes as unknown as { persistence: unknown }).persistence as { createRetainedStream(p: string): AsyncIterable<{ payload: Buffer }> };
  return persistence.createRetainedStream(pattern);
}

// The ACL matrix over real sockets: every role × topic family × publish/subscribe, judged by the broker itself.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { createTopics, deviceClientId, newClientId, silentLogger } from '../contract/index.ts';
import { deviceUser, writeUsersFile } from '../test/helpers/users-file.ts';
import { waitForEvent } from '../test/helpers/wait.ts';
import { startBroker, type RunningBroker } from './start-broker.ts';
import { asEmitter, makeTempDir, testBrokerConfig } from '../test/helpers/broker-test-support.ts';

const P = createTopics();
const PASSWORD = 'matrix password';
// X is the device under test, Y another device. `#` as a publish topic is not a topic name, so the publish rows use
// a topic outside every family instead.
const TOPICS = {
  'bonk X': P.bonk('tux'), 'bonk Y': P.bonk('pi-2'), 'ack X': P.ack('tux'), 'ack Y': P.ack('pi-2'),
  'status X': P.status('tux'), 'status Y': P.status('pi-2'), 'history X': P.history('tux'), 'history Y': P.history('pi-2'),
  'info X': P.info('tux'), 'info Y': P.info('pi-2'), $SYS: '$SYS/broker/uptime', other: 'elsewhere/thing',
  'discovery X': 'homeassistant/device/bonker_tux/config', 'discovery Y': 'homeassistant/device/bonker_pi-2/config',
  'HA state X': 'homeassistant/device/bonker_tux/state', 'HA state Y': 'homeassistant/device/bonker_pi-2/state',
  'HA birth': 'homeassistant/status',
} as const;
const FILTERS = {
  ...TOPICS, 'bonk +': P.all('bonk'), 'ack +': P.all('ack'), 'status +': P.all('status'), 'history +': P.all('history'),
  'info +': P.all('info'), '$SYS #': '$SYS/#', '#': '#',
  'discovery #': 'homeassistant/#', 'discovery +': 'homeassistant/device/+/config',
} as const;
type Topic = keyof typeof TOPICS;
type Filter = keyof typeof FILTERS;

const EVERY_TOPIC = Object.keys(TOPICS) as Topic[];
const EVERY_FILTER = Object.keys(FILTERS) as Filter[];
const allBut = <K extends string>(all: K[], ...no: K[]) => all.filter((k) => !no.includes(k));

/** What each role may do (README "Security"); everything not listed must be refused. */
const MATRIX: Record<string, { user?: string; publish: Topic[]; subscribe: Filter[] }> = {
  edge: { user: 'edge', publish: ['bonk X', 'bonk Y'], subscribe: ['ack X', 'ack Y', 'ack +'] },
  'device X': {
    user: 'tux', publish: ['ack X', 'status X', 'history X', 'info X', 'discovery X', 'HA state X'], subscribe: ['bonk X', 'HA birth'],
  },
  'device Y': {
    user: 'pi-2', publish: ['ack Y', 'status Y', 'history Y', 'info Y', 'discovery Y', 'HA state Y'], subscribe: ['bonk Y', 'HA birth'],
  },
  viewer: {
    user: 'viewer', publish: [],
    subscribe: [
      'ack X', 'ack Y', 'ack +', 'status X', 'status Y', 'status +', 'history X', 'history Y', 'history +', 'info X', 'info Y', 'info +',
    ],
  },
  admin: { user: 'admin', publish: allBut(EVERY_TOPIC, '$SYS'), subscribe: EVERY_FILTER },
  'anonymous (no users file)': { publish: allBut(EVERY_TOPIC, '$SYS'), subscribe: EVERY_FILTER },
};

let secured: RunningBroker;
let open: RunningBroker;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const dir = await makeTempDir();
  cleanups.push(dir.remove);
  const usersFile = await writeUsersFile(dir.path, PASSWORD, [
    { username: 'edge', role: 'edge' }, deviceUser('tux'), deviceUser('pi-2'), { username: 'viewer', role: 'viewer' },
    { username: 'admin', role: 'admin' },
  ]);
  secured = await startBroker(testBrokerConfig({ BONKER_USERS_FILE: usersFile }), silentLogger);
  cleanups.push(secured.close);
  open = await startBroker(testBrokerConfig(), silentLogger);
  cleanups.push(open.close);
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The client id each user may connect with: a device its one id, the other roles any id in their namespace. */
const OWN_ID: Record<string, () => string> = {
  edge: () => newClientId('edge'), tux: () => deviceClientId('tux'), 'pi-2': () => deviceClientId('pi-2'),
  viewer: () => newClientId('viewer'), admin: () => newClientId('admin'),
};

async function connect(user: string | undefined, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const broker = user ? secured : open;
  const client = mqtt.connect(`mqtt://127.0.0.1:${broker.mqttPort}`, {
    reconnectPeriod: 0, ...(user ? { username: user, password: PASSWORD, clientId: OWN_ID[user]!() } : {}), ...options,
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

// Which client ids each user may connect with: a device exactly its own, the other roles their own namespace. Anything
// else gets CONNACK 0x02 (identifier rejected) before the broker looks up, or takes over, the session of that id.
const IDS = {
  'device X': deviceClientId('tux'), 'device Y': deviceClientId('pi-2'), 'device X, suffixed': `${deviceClientId('tux')}-2`,
  edge: 'bonker-edge-1', viewer: 'bonker-viewer-1', admin: 'bonker-admin-1', 'bare prefix': 'bonker-edge-', foreign: 'mqttjs_1234',
} as const;
type IdName = keyof typeof IDS;
const ID_MATRIX: Record<string, { user?: string; accepted: IdName[] }> = {
  edge: { user: 'edge', accepted: ['edge'] },
  'device X': { user: 'tux', accepted: ['device X'] },
  'device Y': { user: 'pi-2', accepted: ['device Y'] },
  viewer: { user: 'viewer', accepted: ['viewer'] },
  admin: { user: 'admin', accepted: ['admin'] },
  'anonymous (no users file)': { accepted: Object.keys(IDS) as IdName[] },
};

async function tryClientId(user: string | undefined, clientId: string): Promise<'accepted' | 'identifier rejected' | string> {
  const broker = user ? secured : open;
  const client = mqtt.connect(`mqtt://127.0.0.1:${broker.mqttPort}`, {
    reconnectPeriod: 0, clientId, clean: true, ...(user ? { username: user, password: PASSWORD } : {}),
  });
  try {
    return await new Promise((resolve) => {
      client.once('connect', () => resolve('accepted'));
      client.once('error', (error: Error & { code?: number }) => resolve(error.code === 2 ? 'identifier rejected' : error.message));
    });
  } finally {
    await client.endAsync(true);
  }
}

describe.each(Object.entries(ID_MATRIX))('client ids of %s', (_role, { user, accepted }) => {
  it('accepts its own ids and rejects every other one with CONNACK 0x02', async () => {
    const verdicts: Record<string, string> = {};
    for (const name of Object.keys(IDS) as IdName[]) verdicts[name] = await tryClientId(user, IDS[name]);
    const expected = Object.fromEntries(
      (Object.keys(IDS) as IdName[]).map((n) => [n, accepted.includes(n) ? 'accepted' : 'identifier rejected']),
    );
    expect(verdicts).toEqual(expected);
  });
});

/** Sends one raw CONNECT (mqtt.js refuses to send an empty id with clean 0) and reads the CONNACK's return code. */
async function rawConnect(broker: RunningBroker, fields: Partial<mqttPacket.IConnectPacket>): Promise<{ returnCode: number; closed: Promise<unknown> }> {
  const socket = net.connect(broker.mqttPort, '127.0.0.1');
  cleanups.push(async () => void socket.destroy());
  const closed = waitForEvent(socket, 'close');
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const connack = waitForEvent<[mqttPacket.IConnackPacket]>(parser, 'packet');
  socket.on('data', (chunk) => parser.parse(chunk));
  socket.write(connectBytes(fields));
  const [packet] = await connack;
  return { returnCode: packet.returnCode ?? -1, closed };
}

/** mqtt-packet refuses to encode an empty id with clean 0 too, so encode it clean and clear the flag [MQTT-3.1.2.4]. */
function connectBytes({ clean, ...fields }: Partial<mqttPacket.IConnectPacket>): Buffer {
  const bytes = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, keepalive: 30, clientId: '', ...fields, clean: true });
  if (clean) return bytes;
  // Fixed header (1 byte + a 1-byte remaining length for a packet this small), protocol name (6), level (1), flags.
  const flags = 1 + 1 + 6 + 1;
  bytes[flags] = bytes[flags]! & ~0x02;
  return bytes;
}

describe('[MQTT-3.1.3-8] a zero-byte client id with clean session 0', () => {
  it.each([['with a users file', 'admin'], ['anonymous', undefined]])('%s: CONNACK 0x02 and the connection closed', async (_name, user) => {
    const login = user ? { username: user, password: Buffer.from(PASSWORD) } : {};
    const { returnCode, closed } = await rawConnect(user ? secured : open, { clean: false, ...login });
    expect(returnCode).toBe(2);
    await closed;
  });

  it('a zero-byte client id with clean session 1 is still accepted: the broker assigns one [MQTT-3.1.3-6]', async () => {
    expect((await rawConnect(open, { clean: true })).returnCode).toBe(0);
  });
});

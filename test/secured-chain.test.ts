// The whole chain with security on: a users file with one user per role, a bearer token on the edge.
import { writeFile } from 'node:fs/promises';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTopics, parseAck, silentLogger } from '../contract/index.ts';
import { loadBrokerConfig } from '../broker/config.ts';
import { hashPassword } from '../broker/passwords.ts';
import { startBroker, type RunningBroker } from '../broker/start-broker.ts';
import { fixtures } from './fixtures/index.ts';
import { startChain, type Chain } from './helpers/chain.ts';
import { makeTempDir } from './helpers/temp-dir.ts';
import { waitForEvent } from './helpers/wait.ts';

const TOKEN = 'edge-token-for-tests-0123456789';
const PASSWORDS = { edge: 'edge-secret-1', tux: 'tux-secret-22', viewer: 'viewer-secret-3' };
const topics = createTopics();
let dir: Awaited<ReturnType<typeof makeTempDir>>;
let broker: RunningBroker;
let chain: Chain;
let url: string;

beforeAll(async () => {
  dir = await makeTempDir();
  const users = {
    users: [
      { username: 'edge', role: 'edge', password: await hashPassword(PASSWORDS.edge) },
      { username: 'tux', role: 'device', device: 'tux', password: await hashPassword(PASSWORDS.tux) },
      { username: 'dash', role: 'viewer', password: await hashPassword(PASSWORDS.viewer) },
    ],
  };
  await writeFile(`${dir.path}/users.json`, JSON.stringify(users));
  broker = await startBroker(
    loadBrokerConfig({
      BONKER_BROKER_PORT: '0',
      BONKER_BROKER_WS_PORT: 'off',
      BONKER_BROKER_HTTP_PORT: 'off',
      BONKER_PERSISTENCE: 'memory',
      BONKER_USERS_FILE: `${dir.path}/users.json`,
    }),
    silentLogger,
  );
  url = `mqtt://127.0.0.1:${broker.mqttPort}`;
  chain = await startChain(url, {
    BONKER_EDGE_TOKEN: TOKEN,
    BONKER_EDGE_MQTT_USERNAME: 'edge',
    BONKER_EDGE_MQTT_PASSWORD: PASSWORDS.edge,
    BONKER_DEVICE_MQTT_USERNAME: 'tux',
    BONKER_DEVICE_MQTT_PASSWORD: PASSWORDS.tux,
  });
});
afterAll(async () => {
  await chain?.close();
  await broker?.close();
  await dir?.remove();
});

it('bonks with the right token and every part on its own broker user, and a viewer sees the ack', async () => {
  const viewer = await mqtt.connectAsync(url, { username: 'dash', password: PASSWORDS.viewer, clientId: 'bonker-viewer-dash-1' });
  try {
    await viewer.subscribeAsync(topics.all('ack'), { qos: 1 });
    const seen = waitForEvent<[string, Buffer]>(viewer, 'message', { accept: (topic) => topic === topics.ack('tux') });
    const { status, body } = await chain.post(fixtures.firingOne, '?wait=ack');
    expect(status).toBe(200);
    expect(body.acks).toEqual([expect.objectContaining({ result: 'done', bonks: 1 })]);
    const [, payload] = await seen;
    expect(parseAck(payload)?.id).toBe((body.published as string[])[0]);
  } finally {
    await viewer.endAsync();
  }
});

it.each([
  ['no token', {}],
  ['a wrong token', { authorization: `Bearer ${TOKEN.replace(/.$/, 'x')}` }],
  ['a token one character short', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
])('answers 401 to %s and publishes nothing', async (_name, headers: Record<string, string>) => {
  const strikes = chain.strikes();
  const response = await fetch(`${chain.edgeUrl}/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ ...fixtures.firingOne, alerts: [{ ...fixtures.firingOne.alerts[0], startsAt: new Date().toISOString() }] }),
  });
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toMatch(/Bearer/);
  expect(await response.json()).toEqual({ error: expect.stringMatching(/credential|token|authoriz/i) });
  expect(chain.strikes()).toBe(strikes);
});

it('refuses a viewer that tries to bonk, and the device never strikes', async () => {
  const strikes = chain.strikes();
  const viewer = await mqtt.connectAsync(url, { username: 'dash', password: PASSWORDS.viewer, clientId: 'bonker-viewer-dash-2', reconnectPeriod: 0 });
  const closed = waitForEvent(viewer, 'close');
  viewer.publish(topics.bonk('tux'), '1', { qos: 1 });
  await closed;
  // A bonk that passes afterwards proves the device was listening all along.
  const { status } = await chain.post(
    { ...fixtures.firingOne, alerts: [{ ...fixtures.firingOne.alerts[0], startsAt: '2026-01-01T00:00:00Z' }] },
    '?wait=ack',
  );
  expect(status).toBe(200);
  expect(chain.strikes()).toBe(strikes + 1);
  viewer.end(true);
});

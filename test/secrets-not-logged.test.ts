// Credentials never reach the logs: broker (users file), edge (token, basic, HMAC, MQTT password) and device run as
// real processes at trace level; good and bad requests and logins are driven, and ALL their output is searched.
import { writeFile } from 'node:fs/promises';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashPassword } from '../broker/passwords.ts';
import { newClientId } from '../contract/index.ts';
import { signBody } from '../edge/core/signature.ts';
import { fixtures } from './fixtures/index.ts';
import { startBonker, type BonkerProcess } from './helpers/child-process.ts';
import { freePort } from './helpers/free-port.ts';
import { makeTempDir } from './helpers/temp-dir.ts';

const SECRETS = {
  token: 'tok-3f9a1c77e2b84d0f',
  basicPassword: 'basic-pw-8c1d2e3f4a5b',
  hmacSecret: 'hmac-sk-77aa66bb55cc',
  edgeMqtt: 'edge-mqtt-pw-1a2b3c4d',
  deviceMqtt: 'device-mqtt-pw-5e6f7a8b',
  adminMqtt: 'admin-mqtt-pw-9c0d1e2f',
  // Wrong guesses are someone's secrets too (a typo of the real one, usually).
  wrongToken: 'wrong-tok-0e0e0e0e0e',
  wrongMqtt: 'wrong-mqtt-pw-d4d4d4d4',
};
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

let dir: Awaited<ReturnType<typeof makeTempDir>>;
const processes: BonkerProcess[] = [];
let edgeUrl: string;
let brokerUrl: string;
let device: BonkerProcess;

beforeAll(async () => {
  dir = await makeTempDir('bonker-secrets-');
  const users = [
    { username: 'edge', role: 'edge', password: await hashPassword(SECRETS.edgeMqtt) },
    { username: 'tux', role: 'device', device: 'tux', password: await hashPassword(SECRETS.deviceMqtt) },
    { username: 'admin', role: 'admin', password: await hashPassword(SECRETS.adminMqtt) },
  ];
  await writeFile(`${dir.path}/users.json`, JSON.stringify({ users }));
  const [mqttPort, edgePort] = [await freePort(), await freePort()];
  brokerUrl = `mqtt://127.0.0.1:${mqttPort}`;
  edgeUrl = `http://127.0.0.1:${edgePort}`;
  const common = { BONKER_LOG_LEVEL: 'trace', BONKER_BROKER_URL: brokerUrl };
  const broker = startBonker(['broker'], {
    ...common,
    BONKER_BROKER_PORT: String(mqttPort),
    BONKER_BROKER_WS_PORT: 'off',
    BONKER_BROKER_HTTP_PORT: 'off',
    BONKER_PERSISTENCE: 'memory',
    BONKER_USERS_FILE: `${dir.path}/users.json`,
  });
  processes.push(broker);
  await broker.waitForLog((l) => /listening/.test(l.msg ?? ''));
  device = startBonker(['device'], {
    ...common,
    BONKER_DEVICE_MQTT_USERNAME: 'tux',
    BONKER_DEVICE_MQTT_PASSWORD: SECRETS.deviceMqtt,
    BONKER_STATE_DIR: `${dir.path}/device`,
    BONKER_SERVO_TRAVEL_MS: '1',
    BONKER_SERVO_HOLD_MS: '0',
    BONKER_MIN_GAP_MS: '0',
  });
  const edge = startBonker(['edge'], {
    ...common,
    BONKER_EDGE_PORT: String(edgePort),
    BONKER_EDGE_TOKEN: SECRETS.token,
    BONKER_EDGE_BASIC_USER: 'alertmanager',
    BONKER_EDGE_BASIC_PASSWORD: SECRETS.basicPassword,
    BONKER_EDGE_HMAC_SECRET: SECRETS.hmacSecret,
    BONKER_EDGE_MQTT_USERNAME: 'edge',
    BONKER_EDGE_MQTT_PASSWORD: SECRETS.edgeMqtt,
  });
  processes.push(device, edge);
  await device.waitForLog((l) => l.msg === 'connected to broker', 15_000);
  await edge.waitForLog((l) => l.msg === 'edge listening', 15_000);
}, 60_000);

afterAll(async () => {
  for (const p of processes) p.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
  await dir?.remove();
});

async function post(fixture: object, headers: Record<string, string>, sign = true) {
  const body = JSON.stringify(fixture);
  const signature = sign ? await signBody(SECRETS.hmacSecret, body) : 'ab'.repeat(32);
  const response = await fetch(`${edgeUrl}/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-grafana-alerting-signature': signature, ...headers },
    body,
  });
  return response.status;
}

it('no secret appears in any output of broker, edge or device', async () => {
  expect(await post(fixtures.firingOne, { authorization: `Bearer ${SECRETS.token}` })).toBe(200);
  expect(await post(fixtures.firingTwo, { authorization: basic('alertmanager', SECRETS.basicPassword) })).toBe(200);
  expect(await post(fixtures.firingOne, { authorization: `Bearer ${SECRETS.wrongToken}` })).toBe(401);
  expect(await post(fixtures.firingOne, { authorization: basic('alertmanager', SECRETS.wrongToken) })).toBe(401);
  expect(await post(fixtures.firingOne, { authorization: `Bearer ${SECRETS.token}` }, false)).toBe(401);
  expect(await post(fixtures.firingOne, {})).toBe(401);
  // A bad MQTT login and a good one, each with a password the broker must not repeat.
  const refused = await mqtt
    .connectAsync(brokerUrl, { username: 'tux', password: SECRETS.wrongMqtt, reconnectPeriod: 0, protocolVersion: 4 })
    .then((c) => c.endAsync().then(() => 'connected'), (error: Error) => error.message);
  expect(refused).toMatch(/Not authorized|Bad username or password/i);
  const admin = await mqtt.connectAsync(brokerUrl, {
    username: 'admin', password: SECRETS.adminMqtt, protocolVersion: 4, clientId: newClientId('admin'),
  });
  await admin.endAsync();
  // The good notifications reached the servo: the chain really ran with every credential in use.
  await device.waitForLog((l) => l.msg === 'bonk', 15_000);

  for (const p of processes) p.kill('SIGTERM');
  await Promise.all(processes.map((p) => p.exited));
  const everything = processes.map((p) => p.output.join('\n')).join('\n');
  expect(everything.length).toBeGreaterThan(1_000);
  const encodedBasic = basic('alertmanager', SECRETS.basicPassword).slice('Basic '.length);
  for (const [name, secret] of Object.entries({ ...SECRETS, encodedBasic })) {
    expect(everything.includes(secret), `${name} appears in the logs`).toBe(false);
  }
}, 60_000);

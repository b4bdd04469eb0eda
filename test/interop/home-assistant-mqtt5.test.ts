// Home Assistant's side of the bonker, the way HA connects today: an MQTT 5 client (clean start, its birth message on
// `homeassistant/status`) against Mosquitto configured with the README's recipe (infra/mosquitto/: users, ACL, queue
// settings), with the device agent on the same broker as its own user. It reads the discovery, presses the Bonk
// button and sees the sensors follow.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, topics, type TestAgent } from '../helpers/test-agent.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { waitForEvent, waitUntil } from '../helpers/wait.ts';
import { INFRA } from '../infra/infra-files.ts';
import { MOSQUITTO_PASSWD, requireProgram } from './require-programs.ts';

const PASSWORDS = { tux: 'tux-secret', homeassistant: 'ha-secret', edge: 'edge-secret' };

/** infra/mosquitto/oom-bonker.conf as shipped, on a test port on loopback, with its files in the test's directory. */
async function recipe(port: number, dir: string): Promise<string> {
  const passwd = path.join(dir, 'oom-bonker.passwd');
  for (const [user, password] of Object.entries(PASSWORDS)) {
    const create = user === 'tux' ? ['-c'] : [];
    await promisify(execFile)(requireProgram(MOSQUITTO_PASSWD), [...create, '-b', passwd, user, password]);
  }
  const conf = await readFile(`${INFRA}mosquitto/oom-bonker.conf`, 'utf8');
  expect(conf).toMatch(/^listener 1883$/m);
  return [
    conf
      .replace(/^listener 1883$/m, `listener ${port} 127.0.0.1`)
      .replace('/etc/mosquitto/oom-bonker.passwd', passwd)
      .replace('/etc/mosquitto/oom-bonker.acl', `${INFRA}mosquitto/oom-bonker.acl`),
    // CI runs as root, and Mosquitto started by root switches to its own user, who cannot read the test's temporary
    // password file; `user root` keeps it as it was started (on a Pi it runs as mosquitto from /etc/mosquitto).
    'user root',
    'persistence true',
    `persistence_location ${dir}/`,
    'log_dest stderr',
    'log_type information',
  ].join('\n');
}

type Component = Record<string, string | number | boolean | object>;
interface Discovery { dev: { ids: string[] }; cmps: Record<string, Component> }

/** What HA would render: the JSON of a state topic through the component's value_template, for the two forms used. */
function sensorValue(component: Component, payload: string): string {
  const json = JSON.parse(payload);
  if (component.value_template === '{{ value_json.total }}') return String(json.total);
  if (String(component.value_template).includes('value_json.last.pod')) return json.last?.pod ?? 'none';
  if (String(component.value_template).includes('value_json.servo')) return json.servo.fallback ? 'simulated (no servo hardware found)' : json.servo.driver;
  throw new Error(`no stand-in for the template ${String(component.value_template)}`);
}

describe('Home Assistant over MQTT 5 with Mosquitto (the README recipe)', () => {
  let broker: Mosquitto;
  let agent: TestAgent;
  let state: { path: string; remove(): Promise<void> };
  let ha: MqttClient;
  const retained = new Map<string, string>();

  beforeAll(async () => {
    broker = await startMosquitto(recipe);
    state = await makeTempDir('bonker-ha5-');
    agent = await startAgent(broker.url, state.path, { BONKER_DEVICE_MQTT_USERNAME: 'tux', BONKER_DEVICE_MQTT_PASSWORD: PASSWORDS.tux });
    // As HA's MQTT integration connects with protocol 5: a clean start, a client id of its own.
    ha = mqtt.connect(broker.url, {
      protocolVersion: 5, clean: true, clientId: 'bonker-admin-ha', reconnectPeriod: 0,
      username: 'homeassistant', password: PASSWORDS.homeassistant,
    });
    const [connack] = await waitForEvent<[{ reasonCode?: number; properties?: object }]>(ha, 'connect', { timeoutMs: 10_000 });
    // An MQTT 5 CONNACK: a reason code and properties, which a 3.1.1 CONNACK cannot carry.
    expect(connack.reasonCode).toBe(0);
    expect(connack.properties).toBeDefined();
    ha.on('message', (topic, payload) => retained.set(topic, String(payload)));
  });
  afterAll(async () => {
    await ha?.endAsync();
    await agent?.device.close();
    await broker?.close();
    await state?.remove();
  });

  it('HA discovers the bonker, presses Bonk, and its sensors show the strike and the driver', async () => {
    const discovered = waitForEvent<[string, Buffer]>(ha, 'message', { timeoutMs: 10_000, accept: (topic) => topic.endsWith('/config') });
    const granted = await ha.subscribeAsync('homeassistant/device/+/config', { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    // HA's birth: the agent answers it by publishing the discovery again.
    await ha.publishAsync('homeassistant/status', 'online', { qos: 1 });
    const [configTopic, configPayload] = await discovered;
    expect(configTopic).toBe('homeassistant/device/bonker_tux/config');
    const discovery = JSON.parse(String(configPayload)) as Discovery;
    const byPlatform = (p: string) => Object.values(discovery.cmps).filter((c) => c.p === p);
    const [button] = byPlatform('button');
    const sensors = byPlatform('sensor');
    expect(button).toMatchObject({ command_topic: topics.bonk('tux'), payload_press: 'PRESS' });
    expect(sensors.map((s) => s.name)).toEqual(['Bonks', 'Last bonked pod', 'Servo driver']);

    // HA subscribes to every state and availability topic the discovery names, as v5 subscriptions.
    const stateTopics = [...new Set(sensors.map((s) => String(s.state_topic)))];
    const availability = (button!.availability as { topic: string }[]).map((a) => a.topic);
    await ha.subscribeAsync([...stateTopics, ...availability], { qos: 1 });
    await waitUntil(ha, 'message', () => availability.every((t) => retained.get(t) === 'online') && stateTopics.every((t) => retained.has(t)), 10_000);
    const value = (name: string) => {
      const sensor = sensors.find((s) => s.name === name)!;
      return sensorValue(sensor, retained.get(String(sensor.state_topic))!);
    };
    expect(value('Bonks')).toBe('0');
    expect(value('Last bonked pod')).toBe('none');
    expect(value('Servo driver')).toBe('simulated');

    // Press: HA publishes payload_press on command_topic with the button's qos and retain.
    await ha.publishAsync(String(button!.command_topic), String(button!.payload_press), { qos: Number(button!.qos) as 1, retain: Boolean(button!.retain) });
    const [ack] = await agent.waitForAcks(1, 10_000);
    expect(ack).toMatchObject({ result: 'done', bonks: 1 });
    expect(agent.strikes()).toBe(1);
    await waitUntil(ha, 'message', () => value('Bonks') === '1', 10_000);
  });

  it('keeps each role to its topics: a wrong password is refused, the edge may not publish as the device', async () => {
    const refused = mqtt.connect(broker.url, { protocolVersion: 5, username: 'homeassistant', password: 'wrong', reconnectPeriod: 0 });
    const [error] = await waitForEvent<[{ code?: number }]>(refused, 'error', { timeoutMs: 10_000 });
    expect(error.code).toBe(0x87); // Mosquitto 2.0 answers a wrong password with 0x87, not authorized
    refused.end(true);
    // MQTT 5 tells the publisher why: PUBACK 0x87, not authorized; the device's status stays as the device left it.
    const edge = await mqtt.connectAsync(broker.url, { protocolVersion: 5, username: 'edge', password: PASSWORDS.edge, reconnectPeriod: 0 });
    try {
      await expect(edge.publishAsync(topics.status('tux'), 'offline', { qos: 1, retain: true })).rejects.toMatchObject({ code: 0x87 });
      expect(retained.get(topics.status('tux'))).toBe('online');
    } finally {
      await edge.endAsync();
    }
  });
});

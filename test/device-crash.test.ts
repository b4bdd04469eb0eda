// A device agent SIGKILLed in the middle of a strike: the broker redelivers the bonk and the restarted agent strikes it.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTopics, encodeBonk, manualBonk, parseAck, silentLogger, type Ack } from '../contract/index.ts';
import { loadBrokerConfig } from '../broker/config.ts';
import { startBroker, type RunningBroker } from '../broker/start-broker.ts';
import { startBonker, type BonkerProcess } from './helpers/child-process.ts';
import { makeTempDir } from './helpers/temp-dir.ts';
import { waitForEvent } from './helpers/wait.ts';

const STRIKE_US = 1050;
const topics = createTopics();
let broker: RunningBroker;
let data: Awaited<ReturnType<typeof makeTempDir>>;
let watcher: MqttClient;
const acks: Ack[] = [];
const started: BonkerProcess[] = [];

beforeAll(async () => {
  data = await makeTempDir();
  broker = await startBroker(
    loadBrokerConfig({ BONKER_BROKER_PORT: '0', BONKER_BROKER_WS_PORT: 'off', BONKER_BROKER_HTTP_PORT: 'off', BONKER_DATA_DIR: `${data.path}/broker` }),
    silentLogger,
  );
  watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.mqttPort}`, { clientId: 'crash-watcher' });
  watcher.on('message', (_topic, payload) => {
    const ack = parseAck(payload);
    if (ack) acks.push(ack);
  });
  await watcher.subscribeAsync([topics.ack('tux'), topics.status('tux')], { qos: 1 });
});

afterAll(async () => {
  for (const p of started) p.kill('SIGKILL');
  await Promise.all(started.map((p) => p.exited));
  await watcher?.endAsync();
  await broker?.close();
  await data?.remove();
});

function startAgent(holdMs: number): BonkerProcess {
  const agent = startBonker(['device'], {
    BONKER_BROKER_URL: `mqtt://127.0.0.1:${broker.mqttPort}`,
    BONKER_STATE_DIR: `${data.path}/device`,
    BONKER_LOG_LEVEL: 'debug',
    BONKER_SERVO_STRIKE_US: String(STRIKE_US),
    BONKER_SERVO_TRAVEL_MS: '5',
    BONKER_SERVO_HOLD_MS: String(holdMs),
    BONKER_MIN_GAP_MS: '0',
  });
  started.push(agent);
  return agent;
}

const isStrike = (line: { msg?: string; us?: unknown }) => line.msg === 'servo pulse' && line.us === STRIKE_US;

it('redelivers a bonk whose strike was cut short by SIGKILL', async () => {
  // The longest hold the config allows keeps the agent mid-strike long enough to kill it there.
  const online = waitForEvent<[string, Buffer]>(watcher, 'message', {
    timeoutMs: 15_000,
    accept: (topic, payload) => topic === topics.status('tux') && payload.toString() === 'online',
  });
  const first = startAgent(5_000);
  await online;
  const command = manualBonk(1, { newId: () => 'crash-1', now: () => Date.now() }, 'cli');
  await watcher.publishAsync(topics.bonk('tux'), encodeBonk(command), { qos: 1 });

  await first.waitForLog(isStrike);
  first.kill('SIGKILL');
  expect((await first.exited).signal).toBe('SIGKILL');
  expect(acks).toEqual([]);

  const second = startAgent(5);
  const [ack] = await waitForEvent<[string, Buffer]>(watcher, 'message', {
    timeoutMs: 15_000,
    accept: (_topic, payload) => parseAck(payload)?.id === 'crash-1',
  }).then(([, payload]) => [parseAck(payload)!]);
  expect(ack).toMatchObject({ id: 'crash-1', result: 'done', bonks: 1 });
  expect(second.logs.filter(isStrike)).toHaveLength(1);
});

// The shipped agent: dist/cli/device.cjs (build/bundles.ts; the test setup builds it), started exactly as the systemd
// unit starts it, bonks and stops cleanly.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { silentLogger } from '../contract/index.ts';
import { startBroker } from '../broker/start-broker.ts';
import { testBrokerConfig } from '../test/helpers/broker-test-support.ts';
import { deviceUnitCommand } from '../build/device.ts';
import { makeTempDir } from '../test/helpers/temp-dir.ts';
import { waitForEvent } from '../test/helpers/wait.ts';
import { FAST } from '../test/helpers/test-agent.ts';

const cleanups: (() => Promise<unknown>)[] = [];
let args: string[];
let broker: Awaited<ReturnType<typeof startBroker>>;
let monitor: MqttClient;

beforeAll(async () => {
  args = deviceUnitCommand();
  broker = await startBroker(testBrokerConfig({ BONKER_BROKER_WS_PORT: '0' }), silentLogger);
  cleanups.push(broker.close);
  monitor = mqtt.connect(`mqtt://127.0.0.1:${broker.mqttPort}`, { protocolVersion: 4 });
  cleanups.push(() => monitor.endAsync(true));
  await waitForEvent(monitor, 'connect');
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it.each([
  ['mqtt', () => `mqtt://127.0.0.1:${broker.mqttPort}`, 'bundle-tcp'],
  ['ws', () => `ws://127.0.0.1:${broker.wsPort}`, 'bundle-ws'],
])('over %s: subscribes, strikes, acks and stops with exit 0', async (_name, url, device) => {
  const state = await makeTempDir();
  cleanups.push(state.remove);
  await monitor.subscribeAsync([`bonker/${device}/status`, `bonker/${device}/ack`], { qos: 1 });
  const online = waitForEvent<[string, Buffer]>(monitor, 'message', { timeoutMs: 15_000, accept: (t, p) => t === `bonker/${device}/status` && String(p) === 'online' });
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', ...FAST, BONKER_BROKER_URL: url(), BONKER_DEVICE_ID: device, BONKER_STATE_DIR: state.path, BONKER_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  cleanups.push(async () => void (child.exitCode === null && child.kill('SIGKILL')));
  await online;
  const ack = waitForEvent<[string, Buffer]>(monitor, 'message', { timeoutMs: 15_000, accept: (t) => t === `bonker/${device}/ack` });
  await monitor.publishAsync(`bonker/${device}/bonk`, '1', { qos: 1 });
  expect(JSON.parse(String((await ack)[1]))).toMatchObject({ result: 'done', bonks: 1 });
  const offline = waitForEvent(monitor, 'message', { accept: (t, p) => t === `bonker/${device}/status` && String(p) === 'offline' });
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  await offline;
  // No warning from the flags, nothing else on stderr.
  expect(stderr.join('')).toBe('');
});

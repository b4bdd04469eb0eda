// Bonks stored for an offline device survive the broker being SIGKILLed and restarted (level persistence).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger, type Ack } from '../contract/index.ts';
import { loadDeviceConfig } from '../device/config.ts';
import { createSimulatedServo } from '../device/servo/simulated.ts';
import { startDevice } from '../device/start-device.ts';
import { loadEdgeConfig } from '../edge/core/config.ts';
import { startEdge, type RunningEdge } from '../edge/node/main.ts';
import { fixtures } from './fixtures/index.ts';
import { FAST_MOTION, STRIKE_US } from './helpers/chain.ts';
import { startBonker, type BonkerProcess } from './helpers/child-process.ts';
import { freePort } from './helpers/free-port.ts';
import { makeTempDir } from './helpers/temp-dir.ts';
import { waitUntil } from './helpers/wait.ts';

let dir: Awaited<ReturnType<typeof makeTempDir>>;
let port: number;
const brokers: BonkerProcess[] = [];

function startBrokerProcess(): BonkerProcess {
  const broker = startBonker(
    ['broker', '--broker-port', String(port), '--broker-ws-port', 'off', '--broker-http-port', 'off'],
    { BONKER_DATA_DIR: `${dir.path}/broker` },
  );
  brokers.push(broker);
  return broker;
}

beforeAll(async () => {
  dir = await makeTempDir();
  port = await freePort();
});
afterAll(async () => {
  for (const broker of brokers) broker.kill('SIGKILL');
  await Promise.all(brokers.map((b) => b.exited));
  await dir?.remove();
});

it('delivers every bonk the edge had answered 200 for, after a broker crash, once the device returns', async () => {
  const env = {
    ...FAST_MOTION,
    BONKER_BROKER_URL: `mqtt://127.0.0.1:${port}`,
    BONKER_STATE_DIR: `${dir.path}/device`,
    BONKER_SERVO_STRIKE_US: String(STRIKE_US),
    BONKER_EDGE_PORT: '0',
  };
  let broker = startBrokerProcess();
  await broker.waitForLog((line) => line.msg === 'broker listening');

  // The device's first visit creates its persistent session; then it goes away.
  const firstVisit = await startDevice(loadDeviceConfig(env), silentLogger, { servo: createSimulatedServo() });
  await firstVisit.close();

  const edge: RunningEdge = await startEdge(loadEdgeConfig(env), silentLogger);
  const published: string[] = [];
  try {
    for (const startsAt of ['2026-11-25T10:00:00Z', '2026-11-25T10:05:00Z', '2026-11-25T10:10:00Z']) {
      const alert = { ...fixtures.firingOne.alerts[0]!, startsAt };
      const response = await fetch(`http://127.0.0.1:${edge.port}/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...fixtures.firingOne, alerts: [alert] }),
      });
      expect(response.status).toBe(200);
      published.push(...((await response.json()) as { published: string[] }).published);
    }
  } finally {
    await edge.close();
  }

  broker.kill('SIGKILL');
  expect((await broker.exited).signal).toBe('SIGKILL');
  broker = startBrokerProcess();
  await broker.waitForLog((line) => line.msg === 'broker listening');

  const servo = createSimulatedServo();
  const device = await startDevice(loadDeviceConfig(env), silentLogger, { servo });
  const acks: Ack[] = [];
  device.events.on('ack', (ack: Ack) => acks.push(ack));
  try {
    await waitUntil(device.events, 'ack', () => acks.length >= 3, 15_000);
    expect(acks.map((a) => a.id).sort()).toEqual([...published].sort());
    expect(acks.every((a) => a.result === 'done')).toBe(true);
    expect(servo.pulses.filter((p) => p.us === STRIKE_US)).toHaveLength(3);
  } finally {
    await device.close();
  }
});

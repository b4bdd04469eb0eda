// A strike the servo cannot make (pigpiod down) is not acknowledged: the broker redelivers it once the daemon is back.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startAgentTestBed, type AgentTestBed } from '../test/helpers/agent-test-bed.ts';
import { waitForEvent, waitUntil } from '../test/helpers/wait.ts';
import { loadDeviceConfig } from './config.ts';
import { startFakePigpiod, type FakePigpiod } from '../test/helpers/fake-pigpiod.ts';
import { createPigpiodServo, type PigpiodServo } from './servo/pigpiod.ts';
import { startDevice, type RunningDevice } from './start-device.ts';
import { createRecordingLogger } from '../test/helpers/recording-logger.ts';
import { bonkJson, FAST, REST, STRIKE } from '../test/helpers/test-agent.ts';
import type { Ack } from '../contract/index.ts';

let bed: AgentTestBed;
const daemons: FakePigpiod[] = [];
let servo: PigpiodServo | undefined;
let device: RunningDevice | undefined;

beforeEach(async () => {
  bed = await startAgentTestBed('bonker-servo-failure-', 'servo-failure');
});
afterEach(async () => {
  await device?.close();
  await servo?.close();
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
  await bed.close();
});

it('leaves the bonk unacknowledged while pigpiod is down and strikes it once the daemon is back', async () => {
  const first = await startFakePigpiod();
  daemons.push(first);
  servo = await createPigpiodServo({ gpio: 18, port: first.port, reconnectMs: 50, timeoutMs: 2_000 });
  const logger = createRecordingLogger();
  const config = loadDeviceConfig({ ...FAST, BONKER_BROKER_URL: bed.broker.url, BONKER_STATE_DIR: bed.state.path });
  device = await startDevice(config, logger, { servo });
  const acks: Ack[] = [];
  device.events.on('ack', (ack: Ack) => acks.push(ack));
  expect(first.servoWidths(18)).toEqual([REST, 0]);

  const gone = waitForEvent(servo.events, 'disconnected');
  await first.stop();
  await gone;
  const failed = waitForEvent(logger.events, 'line', { accept: (line: { msg?: string }) => /strike failed/.test(line.msg ?? '') });
  await bed.bonk(bonkJson('f1'));
  const [line] = (await failed) as [{ obj: { error: string } }];
  expect(line.obj.error).toMatch(/servo failed: .*cannot reach pigpiod/);
  expect(acks).toEqual([]);

  const second = await startFakePigpiod({ port: first.port });
  daemons.push(second);
  await waitUntil(device.events, 'ack', () => acks.length >= 1, 15_000);
  expect(acks.map((a) => [a.id, a.result, a.bonks])).toEqual([['f1', 'done', 1]]);
  expect(second.servoWidths(18)).toEqual([STRIKE, REST, 0]);
}, 20_000);

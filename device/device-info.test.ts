// The device's retained info against a real Aedes: which driver runs (and whether auto fell back), last seen, last bonk.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDeviceInfo, silentLogger, type DeviceInfo } from '../contract/index.ts';
import { startAgentTestBed, type AgentTestBed } from '../test/helpers/agent-test-bed.ts';
import { waitForEvent } from '../test/helpers/wait.ts';
import { loadDeviceConfig } from './config.ts';
import { createServo } from './servo/index.ts';
import { startDevice, type RunningDevice } from './start-device.ts';
import { bonkJson, FAST, topics } from '../test/helpers/test-agent.ts';

const NO_HARDWARE = {
  piModel: async () => undefined,
  pwmChannels: async () => undefined,
  pigpiodReachable: async () => false,
  rootWithDevMem: async () => false,
};

describe('device info', () => {
  let bed: AgentTestBed;
  let device: RunningDevice | undefined;

  beforeEach(async () => {
    bed = await startAgentTestBed('bonker-info-', 'info-watcher');
  });
  afterEach(async () => {
    await device?.close();
    device = undefined;
    await bed.close();
  });

  /** The next info on the device's topic that passes `accept` (the retained one included, when subscribed after). */
  const nextInfo = (accept: (info: DeviceInfo) => boolean = () => true) =>
    waitForEvent<[string, Buffer]>(bed.client, 'message', {
      accept: (topic, payload) => topic === topics.info('tux') && accept(parseDeviceInfo(payload)!),
    }).then(([, payload]) => parseDeviceInfo(payload)!);

  it('says, retained, that auto fell back to the simulated driver and why', async () => {
    const env = { ...FAST, BONKER_BROKER_URL: bed.broker.url, BONKER_STATE_DIR: bed.state.path, BONKER_SERVO_DRIVER: 'auto' };
    const config = loadDeviceConfig(env);
    const servo = await createServo(config, silentLogger, { probes: NO_HARDWARE });
    device = await startDevice(config, silentLogger, { servo });
    const retained = nextInfo();
    await bed.client.subscribeAsync(topics.info('tux'), { qos: 1 });
    const info = await retained;
    expect(info.servo).toMatchObject({ driver: 'simulated', requested: 'auto', fallback: true });
    expect(info.servo.reason).toMatch(/no writable pwmchip0, no pigpiod on 127\.0\.0\.1:8888, not a Raspberry Pi/);
    expect(info.last).toBeNull();
  });

  it('records the last bonk with its pod, and the last time it was seen before a clean stop', async () => {
    const agent = await bed.startAgent();
    await bed.client.subscribeAsync(topics.info('tux'), { qos: 1 });
    const bonked = nextInfo((info) => info.last?.id === 'pod-1');
    await bed.bonk(bonkJson('pod-1'));
    const info = await bonked;
    expect(info.servo).toEqual({ driver: 'simulated', requested: 'simulated', fallback: false });
    expect(info.last).toMatchObject({ pod: 'memory-eater', namespace: 'bonk', container: 'eater', bonks: 1 });

    const farewell = nextInfo((later) => later.seenAt > info.seenAt);
    const stoppedAt = Date.now();
    await agent.device.close();
    expect((await farewell).seenAt).toBeGreaterThanOrEqual(stoppedAt);
  });
});

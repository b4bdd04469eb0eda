// Test support for the device agent: a simulated-servo agent against a test broker, a recording logger, a publisher.
import mqtt, { type MqttClient } from 'mqtt';
import { createTopics, type Ack, type Env } from '../../contract/index.ts';
import { createRecordingLogger } from './recording-logger.ts';
import { waitUntil } from './wait.ts';
import { loadDeviceConfig } from '../../device/config.ts';
import { createSimulatedServo, type SimulatedServo } from '../../device/servo/simulated.ts';
import { startDevice, type RunningDevice } from '../../device/start-device.ts';

export const FAST: Env = {
  BONKER_SERVO_TRAVEL_MS: '5',
  BONKER_SERVO_HOLD_MS: '5',
  BONKER_MIN_GAP_MS: '20',
  BONKER_MAX_PER_MINUTE: '1000',
};
export const REST = 1500;
export const STRIKE = 1050;
export const topics = createTopics();

export interface TestAgent {
  device: RunningDevice;
  servo: SimulatedServo;
  acks: Ack[];
  logger: ReturnType<typeof createRecordingLogger>;
  waitForAcks(n: number, timeoutMs?: number): Promise<Ack[]>;
  strikes(): number;
}

export async function startAgent(brokerUrl: string, stateDir: string, env: Env = {}): Promise<TestAgent> {
  const servo = createSimulatedServo();
  const logger = createRecordingLogger();
  const config = loadDeviceConfig({ ...FAST, BONKER_BROKER_URL: brokerUrl, BONKER_STATE_DIR: stateDir, ...env });
  const acks: Ack[] = [];
  const device = await startDevice(config, logger, { servo });
  device.events.on('ack', (ack: Ack) => acks.push(ack));
  return {
    device,
    servo,
    acks,
    logger,
    async waitForAcks(n, timeoutMs = 5_000) {
      await waitUntil(device.events, 'ack', () => acks.length >= n, timeoutMs);
      return acks.slice(0, n);
    },
    strikes: () => servo.pulses.filter((p) => p.us === STRIKE).length,
  };
}

export async function connectPublisher(brokerUrl: string, name: string): Promise<MqttClient> {
  return mqtt.connectAsync(brokerUrl, { clientId: `test-${name}-${process.pid}`, reconnectPeriod: 0 });
}

export function bonkJson(id: string, count = 1, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    v: 1, id, count, reason: `test ${id}`, source: 'alertmanager',
    labels: { namespace: 'bonk', pod: 'memory-eater', container: 'eater' }, at: Date.now(), ...extra,
  });
}

// The whole chain in one test process: edge + device agent (simulated servo) against a broker the test chose, or
// against the bundled broker started here too.
import { silentLogger, type Ack, type Env } from '../../contract/index.ts';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { loadDeviceConfig } from '../../device/config.ts';
import { createSimulatedServo, type SimulatedServo } from '../../device/servo/simulated.ts';
import { startDevice, type RunningDevice } from '../../device/start-device.ts';
import { loadEdgeConfig } from '../../edge/core/config.ts';
import { startEdge, type RunningEdge } from '../../edge/node/main.ts';
import { testBrokerConfig } from './broker-test-support.ts';
import { makeTempDir } from './temp-dir.ts';
import { waitUntil } from './wait.ts';

/** Fast motion so a test strikes in milliseconds; the shape of the motion is what tests check. */
export { FAST as FAST_MOTION, STRIKE as STRIKE_US } from './test-agent.ts';
import { FAST as FAST_MOTION, STRIKE as STRIKE_US } from './test-agent.ts';

export interface Chain {
  edgeUrl: string;
  edge: RunningEdge;
  device: RunningDevice;
  servo: SimulatedServo;
  acks: Ack[];
  /** Strikes the simulated servo made so far. */
  strikes(): number;
  waitForAcks(n: number, timeoutMs?: number): Promise<Ack[]>;
  post(fixture: object, query?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startChain(brokerUrl: string, extraEnv: Env = {}): Promise<Chain> {
  const state = await makeTempDir('bonker-device-');
  const env: Env = {
    BONKER_BROKER_URL: brokerUrl,
    BONKER_EDGE_PORT: '0',
    BONKER_STATE_DIR: state.path,
    BONKER_SERVO_STRIKE_US: String(STRIKE_US),
    ...FAST_MOTION,
    ...extraEnv,
  };
  const servo = createSimulatedServo();
  const device = await startDevice(loadDeviceConfig(env), silentLogger, { servo });
  const edge = await startEdge(loadEdgeConfig(env), silentLogger);
  const acks: Ack[] = [];
  device.events.on('ack', (ack: Ack) => acks.push(ack));
  const edgeUrl = `http://127.0.0.1:${edge.port}`;
  return {
    edgeUrl,
    edge,
    device,
    servo,
    acks,
    strikes: () => servo.pulses.filter((p) => p.us === STRIKE_US).length,
    async waitForAcks(n, timeoutMs = 10_000) {
      await waitUntil(device.events, 'ack', () => acks.length >= n, timeoutMs);
      return acks.slice(0, n);
    },
    async post(fixture, query = '') {
      const response = await fetch(`${edgeUrl}/alertmanager${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authHeader(extraEnv) },
        body: JSON.stringify(fixture),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async close() {
      await edge.close();
      await device.close();
      await state.remove();
    },
  };
}

export interface ChainWithBroker extends Chain {
  broker: RunningBroker;
  brokerUrl: string;
}

/** The bundled broker in this process (loopback, in memory) and the chain against it; `close` stops both. */
export async function startChainWithBroker(): Promise<ChainWithBroker> {
  const broker = await startBroker(testBrokerConfig(), silentLogger);
  const brokerUrl = `mqtt://127.0.0.1:${broker.mqttPort}`;
  let chain: Chain;
  try {
    chain = await startChain(brokerUrl);
  } catch (error) {
    await broker.close();
    throw error;
  }
  return {
    ...chain,
    broker,
    brokerUrl,
    async close() {
      await chain.close();
      await broker.close();
    },
  };
}

function authHeader(env: Env): Record<string, string> {
  return env.BONKER_EDGE_TOKEN ? { authorization: `Bearer ${env.BONKER_EDGE_TOKEN}` } : {};
}


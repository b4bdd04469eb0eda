// What a device agent test over a real broker starts from: an in-process test broker, a state directory and a plain
// MQTT client on the broker; agents started through it are closed with it.
import type { MqttClient } from 'mqtt';
import type { Env } from '../../contract/index.ts';
import { connectPublisher, startAgent, topics, type TestAgent } from './test-agent.ts';
import { startTestBroker, type TestBroker } from './test-broker.ts';
import { makeTempDir, type TempDir } from './temp-dir.ts';

export interface AgentTestBed {
  readonly broker: TestBroker;
  readonly state: TempDir;
  /** Publishes bonks and watches the device's topics. */
  readonly client: MqttClient;
  /** A simulated-servo agent on this broker and state directory. */
  startAgent(env?: Env): Promise<TestAgent>;
  /** Publishes `payload` on the default device's bonk topic at QoS 1. */
  bonk(payload: string): Promise<unknown>;
  /** Ends the client and the broker and starts fresh ones: a broker that holds nothing retained. */
  replaceBroker(): Promise<void>;
  /** Closes the agents it started, then the client, the broker, and removes the state directory. */
  close(): Promise<void>;
}

/** `statePrefix` names the state directory; `clientName` the client (its id is test-<name>-<pid>). */
export async function startAgentTestBed(statePrefix: string, clientName: string): Promise<AgentTestBed> {
  const state = await makeTempDir(statePrefix);
  const agents: TestAgent[] = [];
  let broker: TestBroker | undefined;
  let client: MqttClient | undefined;
  const stopBroker = async () => {
    await client?.endAsync();
    await broker?.close();
  };
  const startBroker = async () => {
    broker = await startTestBroker();
    client = await connectPublisher(broker.url, clientName);
  };
  try {
    await startBroker();
  } catch (error) {
    await stopBroker();
    await state.remove();
    throw error;
  }
  return {
    get broker() {
      return broker!;
    },
    state,
    get client() {
      return client!;
    },
    async startAgent(env = {}) {
      const agent = await startAgent(broker!.url, state.path, env);
      agents.push(agent);
      return agent;
    },
    bonk: (payload) => client!.publishAsync(topics.bonk('tux'), payload, { qos: 1 }),
    async replaceBroker() {
      await stopBroker();
      await startBroker();
    },
    async close() {
      // A device's close is idempotent: a test may have closed it already.
      for (const agent of agents.splice(0)) await agent.device.close();
      await stopBroker();
      await state.remove();
    },
  };
}

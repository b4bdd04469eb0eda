// Mosquitto's own command-line clients against the bundled broker: the manual bonk and status of the README.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '../../contract/index.ts';
import { loadBrokerConfig } from '../../broker/config.ts';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { startChain, type Chain } from '../helpers/chain.ts';
import { MOSQUITTO_PUB, MOSQUITTO_SUB } from './require-programs.ts';

const run = promisify(execFile);
let broker: RunningBroker;
let chain: Chain;
let hostPort: string[];

beforeAll(async () => {
  broker = await startBroker(
    loadBrokerConfig({ BONKER_BROKER_PORT: '0', BONKER_BROKER_WS_PORT: 'off', BONKER_BROKER_HTTP_PORT: 'off', BONKER_PERSISTENCE: 'memory' }),
    silentLogger,
  );
  hostPort = ['-h', '127.0.0.1', '-p', String(broker.mqttPort)];
  chain = await startChain(`mqtt://127.0.0.1:${broker.mqttPort}`);
});
afterAll(async () => {
  await chain?.close();
  await broker?.close();
});

it("`mosquitto_pub -m ''` bonks once and `-m 2` twice", async () => {
  const strikes = chain.strikes();
  const acks = chain.acks.length;
  await run(MOSQUITTO_PUB[0]!, [...hostPort, '-q', '1', '-t', 'bonker/tux/bonk', '-m', '']);
  await run(MOSQUITTO_PUB[0]!, [...hostPort, '-q', '1', '-t', 'bonker/tux/bonk', '-m', '2']);
  const [one, two] = (await chain.waitForAcks(acks + 2)).slice(acks);
  expect([one?.bonks, two?.bonks]).toEqual([1, 2]);
  expect(chain.strikes() - strikes).toBe(3);
});

it('`mosquitto_sub` reads the retained status', async () => {
  const { stdout } = await run(MOSQUITTO_SUB[0]!, [...hostPort, '-t', 'bonker/+/status', '-C', '1', '-v', '-W', '5']);
  expect(stdout.trim()).toBe('bonker/tux/status online');
});

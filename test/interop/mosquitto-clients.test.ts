// Mosquitto's own command-line clients against the bundled broker: the manual bonk and status of the README.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startChainWithBroker, type ChainWithBroker } from '../helpers/chain.ts';
import { MOSQUITTO_PUB, MOSQUITTO_SUB } from './require-programs.ts';

const run = promisify(execFile);
let chain: ChainWithBroker;
let hostPort: string[];

beforeAll(async () => {
  chain = await startChainWithBroker();
  hostPort = ['-h', '127.0.0.1', '-p', String(chain.broker.mqttPort)];
});
afterAll(async () => {
  await chain?.close();
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

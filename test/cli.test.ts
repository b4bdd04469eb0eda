// The `oom-bonker` command as users run it: manual bonks with acks, status, MQTT CLIs, and its exit codes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CONFIG, VERSION } from '../contract/index.ts';
import { startChainWithBroker, type ChainWithBroker } from './helpers/chain.ts';
import { runBonker, startBonker } from './helpers/child-process.ts';

const mqttCli = new URL('../node_modules/.bin/mqtt', import.meta.url).pathname;
let chain: ChainWithBroker;
let brokerEnv: Record<string, string>;
const run = (args: string[], env: Record<string, string> = brokerEnv) => runBonker(args, env);

beforeAll(async () => {
  chain = await startChainWithBroker();
  brokerEnv = { BONKER_BROKER_URL: chain.brokerUrl };
});
afterAll(async () => {
  await chain?.close();
});

describe('oom-bonker bonk', () => {
  it('prints the ack and the round trip, and exits 0 when the device did it', async () => {
    const strikes = chain.strikes();
    const { code, output } = await run(['bonk', '--device', 'tux', '--count', '2', '--wait']);
    expect(code).toBe(0);
    expect(output).toMatch(/ack: \{.*"result":"done".*"bonks":2/);
    expect(output).toMatch(/round trip: \d+\.\d ms/);
    expect(chain.strikes() - strikes).toBe(2);
  });

  it('exits 1 with the reason when no ack comes back', async () => {
    const { code, output } = await run(['bonk', '--device', 'nobody-home', '--wait', '--timeout', '1']);
    expect(code).toBe(1);
    expect(output).toMatch(/no ack for .* within 1 s; is the device online\?/);
    expect(output).toMatch(/The bonk is stored and will strike when the device connects/);
  });

  it.each([
    [['bonk', '--count', '99'], /--count: expected a whole number 1\.\.10, got 99/],
    [['bonk', '--device', 'a/b'], /--device: expected 1-64 characters/],
    [['bonk', '--colour', 'red'], /unknown flag --colour/],
    [['bonk', '--wait=yes'], /--wait takes no value/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('treats %j as a usage error (exit 2)', async (args, message) => {
    const { code, output } = await run(args);
    expect(code).toBe(2);
    expect(output).toMatch(message);
  });
});

describe('configuration errors', () => {
  it('lists every problem at once and exits 78', async () => {
    const { code, output } = await run(['edge', '--edge-port', 'eighty', '--broker-url', 'http://x', '--edge-max-bonks', '0']);
    expect(code).toBe(EXIT_CONFIG);
    expect(output).toMatch(/BONKER_EDGE_PORT: expected a TCP port/);
    expect(output).toMatch(/BONKER_BROKER_URL: expected a broker URL/);
    expect(output).toMatch(/BONKER_EDGE_MAX_BONKS: expected a whole number/);
  });

  it('refuses to expose the edge beyond loopback without a credential', async () => {
    const { code, output } = await run(['edge', '--edge-host', '0.0.0.0']);
    expect(code).toBe(EXIT_CONFIG);
    expect(output).toMatch(/BONKER_EDGE_TOKEN/);
  });

  it('prints its version with --version (the one package.json names)', async () => {
    const { code, output } = await run(['--version']);
    expect(code).toBe(0);
    expect(output.trim()).toBe(`oom-bonker ${VERSION}`);
  });

  it('documents every setting as a flag in --help', async () => {
    const { code, output } = await run(['device', '--help']);
    expect(code).toBe(0);
    expect(output).toMatch(/BONKER_SERVO_STRIKE_US\s+--servo-strike-us/);
    // Each with its default and what it means, taken from the schema.
    expect(output).toMatch(/^ {2}BONKER_SERVO_REQUIRE_HARDWARE {2}--servo-require-hardware {2}default off\n {6}on: auto refuses to start/m);
    expect(output).toMatch(/^ {2}BONKER_LOG_LEVEL {2}--log-level {2}default info\n {6}fatal, error/m);
  });
});

describe('oom-bonker watch', () => {
  it('follows status and acks live until Ctrl-C', async () => {
    const watch = startBonker(['watch'], brokerEnv);
    try {
      await watch.waitForText(/^watching/);
      await watch.waitForText(/ tux online$/);
      const client = await mqtt.connectAsync(brokerEnv.BONKER_BROKER_URL!);
      await client.publishAsync('bonker/tux/bonk', '2', { qos: 1 });
      await client.endAsync();
      await watch.waitForText(/ tux done \S+ bonks=2 pod=\(manual bonk\)$/);
      watch.kill('SIGINT');
      expect((await watch.exited).code).toBe(0);
    } finally {
      watch.kill('SIGKILL');
    }
  });
});

describe('other MQTT clients', () => {
  it('`mqtt pub -m 3` bonks three times and `oom-bonker status` shows the device online', async () => {
    const strikes = chain.strikes();
    const acks = chain.acks.length;
    await promisify(execFile)(mqttCli, ['pub', '-h', '127.0.0.1', '-p', String(chain.broker.mqttPort), '-q', '1', '-t', 'bonker/tux/bonk', '-m', '3']);
    await chain.waitForAcks(acks + 1);
    expect(chain.strikes() - strikes).toBe(3);

    const { code, output } = await run(['status']);
    expect(code).toBe(0);
    expect(output).toMatch(/^DEVICE\s+STATUS\s+DRIVER\s+LAST BONK\s+LAST SEEN$/m);
    expect(output).toMatch(/^tux\s+online\s+simulated\s+manual bonk, \d+ s ago\s+now$/m);
  });
});

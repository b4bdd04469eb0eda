// `oom-bonker status` and `watch` as users run them: the driver in use (a simulating `auto` stands out), the last
// bonk's pod and the last time a device was seen, against a real broker and real agents.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeviceInfo } from '../contract/index.ts';
import { startChainWithBroker, type ChainWithBroker } from './helpers/chain.ts';
import { runBonker, startBonker } from './helpers/child-process.ts';
import { freePort } from './helpers/free-port.ts';
import { makeTempDir } from './helpers/temp-dir.ts';
import { waitForEvent } from './helpers/wait.ts';

let chain: ChainWithBroker;
let env: Record<string, string>;
const alertBonk = (id: string) =>
  JSON.stringify({ v: 1, id, count: 1, reason: 'memory-eater OOMKilled', source: 'alertmanager', labels: { namespace: 'bonk', pod: 'memory-eater', container: 'eater' }, at: Date.now() });
const run = (args: string[]) => runBonker(args, env);

beforeAll(async () => {
  chain = await startChainWithBroker();
  env = { BONKER_BROKER_URL: chain.brokerUrl };
});
afterAll(async () => {
  await chain?.close();
});

describe('oom-bonker status', () => {
  it('shows a device whose auto driver fell back as SIMULATED, and how long ago a stopped one was seen', async () => {
    const state = await makeTempDir('bonker-auto-');
    const watcher = await mqtt.connectAsync(env.BONKER_BROKER_URL!);
    try {
      await watcher.subscribeAsync('bonker/pi-auto/info', { qos: 1 });
      const announced = waitForEvent<[string, Buffer]>(watcher, 'message', { timeoutMs: 15_000 });
      const device = startBonker(['device'], {
        ...env, BONKER_DEVICE_ID: 'pi-auto', BONKER_SERVO_DRIVER: 'auto', BONKER_PIGPIOD_PORT: String(await freePort()),
        BONKER_STATE_DIR: state.path, BONKER_HA_DISCOVERY: 'off',
      });
      const [, payload] = await announced;
      expect(parseDeviceInfo(payload)?.servo).toMatchObject({ driver: 'simulated', requested: 'auto', fallback: true });
      const warned = await device.waitForLog((line) => line.level === 40 && /SIMULATING/.test(line.msg ?? ''));
      expect(warned.reason).toMatch(/no pigpiod/);

      const online = await run(['status']);
      expect(online.output).toMatch(/^pi-auto\s+online\s+SIMULATED \(auto found no servo hardware\)\s+none yet\s+now$/m);

      device.kill('SIGTERM');
      expect((await device.exited).code).toBe(0);
      const offline = await run(['status', '--json']);
      const report = (JSON.parse(offline.output) as Record<string, { status: string; servo: { fallback: boolean }; seenAt: number }>)['pi-auto']!;
      expect(report).toMatchObject({ status: 'offline', servo: { fallback: true } });
      expect(Date.now() - report.seenAt).toBeLessThan(60_000);
      const table = await run(['status']);
      expect(table.output).toMatch(/^pi-auto\s+offline\s+SIMULATED .*\d+ s ago \(\d{4}-\d\d-\d\dT/m);
    } finally {
      await watcher.endAsync();
      await state.remove();
    }
  });

  it("shows the last bonk's pod, in the table and in --json", async () => {
    const acks = chain.acks.length;
    const client = await mqtt.connectAsync(env.BONKER_BROKER_URL!);
    await client.subscribeAsync('bonker/tux/info', { qos: 1 });
    const updated = waitForEvent<[string, Buffer]>(client, 'message', { accept: (_t, p) => parseDeviceInfo(p)?.last?.id === 'status-pod' });
    await client.publishAsync('bonker/tux/bonk', alertBonk('status-pod'), { qos: 1 });
    await chain.waitForAcks(acks + 1);
    await updated;
    await client.endAsync();
    const { code, output } = await run(['status']);
    expect(code).toBe(0);
    expect(output).toMatch(/^tux\s+online\s+simulated\s+bonk\/memory-eater \(eater\), \d+ s ago\s+now$/m);
    const json = JSON.parse((await run(['status', '--json'])).output) as Record<string, { last: { pod: string } }>;
    expect(json.tux!.last).toMatchObject({ pod: 'memory-eater', namespace: 'bonk', id: 'status-pod' });
  });
});

describe('oom-bonker watch', () => {
  it("names each ack's pod and shows the driver", async () => {
    const watch = startBonker(['watch'], env);
    try {
      await watch.waitForText(/ tux driver simulated$/);
      const client = await mqtt.connectAsync(env.BONKER_BROKER_URL!);
      await client.publishAsync('bonker/tux/bonk', alertBonk('watch-pod'), { qos: 1 });
      await client.endAsync();
      await watch.waitForText(/ tux done watch-pod bonks=1 pod=bonk\/memory-eater \(eater\)$/);
    } finally {
      watch.kill('SIGINT');
      await watch.exited;
    }
  });
});

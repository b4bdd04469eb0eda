// The broker's per-device series over real sockets: a real agent's status and acks, the retained status after a
// broker restart, and the cap on tracked devices.
import { rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDeviceInfo, silentLogger } from '../contract/index.ts';
import { DEDUP_FILE } from '../device/dedup-store.ts';
import { bonkJson, connectPublisher, startAgent, topics, type TestAgent } from '../test/helpers/test-agent.ts';
import { waitForEvent } from '../test/helpers/wait.ts';
import { MAX_TRACKED_DEVICES } from './device-metrics.ts';
import { startBroker, type RunningBroker } from './start-broker.ts';
import { asEmitter, makeTempDir, testBrokerConfig } from '../test/helpers/broker-test-support.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function broker(dataDir: string): Promise<RunningBroker> {
  const config = testBrokerConfig({ BONKER_PERSISTENCE: 'level', BONKER_DATA_DIR: dataDir, BONKER_BROKER_HTTP_PORT: '0' });
  const running = await startBroker(config, silentLogger);
  cleanups.push(running.close);
  return running;
}

/** `name{labels} value` lines of the broker's /metrics, as a lookup. */
async function scrape(running: RunningBroker): Promise<(series: string) => number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${running.httpPort}/metrics`)).text();
  const values = new Map(
    text.split('\n').filter((line) => line && !line.startsWith('#')).map((line) => {
      const at = line.lastIndexOf(' ');
      return [line.slice(0, at), Number(line.slice(at + 1))] as const;
    }),
  );
  return (series) => values.get(series);
}

/** A watcher of every device's status and acks: once it has a message, so has the broker's own subscription. */
async function watcher(running: RunningBroker): Promise<MqttClient> {
  const client = await connectPublisher(`mqtt://127.0.0.1:${running.mqttPort}`, 'metrics-watcher');
  cleanups.push(() => client.endAsync(true));
  await client.subscribeAsync([topics.all('status'), topics.all('info'), topics.all('ack')], { qos: 1 });
  return client;
}

/** `timeoutMs`: the agent redelivers a bonk it could not record after a reconnect with backoff (1 s, 2 s, ...). */
const message = (client: MqttClient, topic: string, payload: (text: string) => boolean, timeoutMs = 5_000) =>
  waitForEvent<[string, Buffer]>(asEmitter(client), 'message', { timeoutMs, accept: (t, p) => t === topic && payload(String(p)) });

describe('per-device series on the broker', () => {
  it("counts a real agent's acks and strikes, shows it online, then offline, and again after a broker restart", async () => {
    const dir = await makeTempDir();
    const state = await makeTempDir();
    cleanups.push(dir.remove, state.remove);
    let running = await broker(dir.path);
    const watch = await watcher(running);
    const online = Promise.all([message(watch, topics.status('tux'), (p) => p === 'online'), message(watch, topics.info('tux'), () => true)]);
    const agent: TestAgent = await startAgent(`mqtt://127.0.0.1:${running.mqttPort}`, state.path);
    await online;
    let series = await scrape(running);
    expect(series('bonker_device_online{device="tux"}')).toBe(1);
    expect(series('bonker_device_acks_total{device="tux",result="done"}')).toBe(0);
    expect(series('bonker_device_info{device="tux",driver="simulated",requested="simulated",fallback="false"}')).toBe(1);
    expect(series('bonker_device_dedup_store_ok{device="tux"}')).toBe(1);

    const publisher = await connectPublisher(`mqtt://127.0.0.1:${running.mqttPort}`, 'metrics-bonker');
    cleanups.push(() => publisher.endAsync(true));
    const before = Date.now();
    for (const id of ['m-1', 'm-1', 'm-2']) {
      const acked = message(watch, topics.ack('tux'), (p) => p.includes(`"${id}"`));
      await publisher.publishAsync(topics.bonk('tux'), bonkJson(id, id === 'm-2' ? 2 : 1), { qos: 1 });
      await acked;
    }
    series = await scrape(running);
    expect(series('bonker_device_acks_total{device="tux",result="done"}')).toBe(2);
    expect(series('bonker_device_acks_total{device="tux",result="duplicate"}')).toBe(1);
    expect(series('bonker_device_strikes_total{device="tux"}')).toBe(agent.strikes());
    expect(agent.strikes()).toBe(3);
    const lastStrike = series('bonker_device_last_strike_timestamp_seconds{device="tux"}')!;
    expect(lastStrike * 1000).toBeGreaterThanOrEqual(before);
    expect(lastStrike * 1000).toBeLessThanOrEqual(Date.now());

    // A dedup store that cannot write (a full disk) shows until a write succeeds again.
    const file = path.join(state.path, DEDUP_FILE);
    await rm(file);
    await symlink('/dev/full', file);
    const failing = message(watch, topics.info('tux'), (p) => parseDeviceInfo(p)?.store?.ok === false, 15_000);
    await publisher.publishAsync(topics.bonk('tux'), bonkJson('m-3'), { qos: 1 });
    await failing;
    series = await scrape(running);
    expect(series('bonker_device_dedup_store_ok{device="tux"}')).toBe(0);
    expect(series('bonker_device_dedup_store_failures_total{device="tux"}')).toBeGreaterThanOrEqual(1);
    const writing = message(watch, topics.info('tux'), (p) => parseDeviceInfo(p)?.store?.ok === true, 15_000);
    await rm(file);
    await writing;
    expect((await scrape(running))('bonker_device_dedup_store_ok{device="tux"}')).toBe(1);

    const offline = message(watch, topics.status('tux'), (p) => p === 'offline');
    await agent.device.close();
    await offline;
    expect((await scrape(running))('bonker_device_online{device="tux"}')).toBe(0);

    // A new broker run on the same store knows the device from its retained status before it says anything.
    await running.close();
    running = await broker(dir.path);
    series = await scrape(running);
    expect(series('bonker_device_online{device="tux"}')).toBe(0);
    expect(series('bonker_device_acks_total{device="tux",result="done"}')).toBe(0);
  });

  it(`tracks at most ${MAX_TRACKED_DEVICES} devices and counts the rest`, async () => {
    const dir = await makeTempDir();
    cleanups.push(dir.remove);
    const running = await broker(dir.path);
    const watch = await watcher(running);
    const extra = 3;
    const last = `d${MAX_TRACKED_DEVICES + extra - 1}`;
    const seen = message(watch, topics.status(last), (p) => p === 'online');
    for (let i = 0; i < MAX_TRACKED_DEVICES + extra; i++) watch.publish(topics.status(`d${i}`), 'online', { qos: 0 });
    await seen;
    const text = await (await fetch(`http://127.0.0.1:${running.httpPort}/metrics`)).text();
    expect(text.match(/^bonker_device_online\{/gm)).toHaveLength(MAX_TRACKED_DEVICES);
    expect((await scrape(running))('bonker_broker_devices_untracked_total')).toBe(extra);
  });
});

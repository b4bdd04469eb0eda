// Cluster mode with real processes: `oom-bonker broker` ×2 on one Redis; broker and Redis crashes lose nothing.
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceClientId } from '../../contract/index.ts';
import { createBrokerProcess, type BrokerProcess } from '../cluster/broker-process.ts';
import { crashRightAfterAck } from '../faults/crash-after-ack.ts';
import { doneCounts, postInOrder, startRecordedDevice, startTestEdge } from '../faults/fault-kit.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

let redis: RedisServer;
let dir: Awaited<ReturnType<typeof makeTempDir>>;
let a: BrokerProcess;
let b: BrokerProcess;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dir = await makeTempDir('bonker-cluster-');
  cleanups.push(dir.remove);
  redis = await startRedis();
  cleanups.push(redis.close);
  a = await createBrokerProcess('A', { persistence: redis.url });
  b = await createBrokerProcess('B', { persistence: redis.url });
  cleanups.push(a.crash, b.crash);
  await Promise.all([a.start(), b.start()]);
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('relays from an edge on A to a device on B, and the device fails over to A when B is SIGKILLed', async () => {
  // "B,A": the agent tries B first and A on the next reconnect (mqtt.js `servers`, in turn).
  const device = await startRecordedDevice(`${b.url},${a.url}`, `${dir.path}/failover-device`);
  cleanups.push(device.close);
  const edge = await startTestEdge(a.url);
  cleanups.push(edge.close);
  const before = await postInOrder(edge.url, 1_000, 5);
  await device.waitForIds(before);

  await b.crash();
  // Queued in Redis for the device's session while it finds its way to A.
  const during = await postInOrder(edge.url, 1_005, 10);
  await device.waitForIds(during, 30_000);

  const struck = device.acks.filter((ack) => ack.result === 'done').map((ack) => ack.id);
  expect(struck).toEqual([...before, ...during]);
  expect(device.strikes()).toBe(15);
  console.info(`[cluster] failover B→A: 15 struck once, ${device.acks.length - 15} redelivered as duplicate`);
  // B's copy of the device's will is gone, so A never publishes a stale `offline` once B counts as dead
  // (broker/stale-wills.ts).
  expect(await willsOf(deviceClientId('tux'), (keys) => keys.length === 1)).toHaveLength(1);
  await device.close();
  await b.start();
}, 90_000);

it('loses no bonk when broker A is SIGKILLed right after it acknowledged the edge (Redis mode)', async () => {
  const figures = await crashRightAfterAck({
    edgeBroker: a,
    deviceBrokerUrl: b.url,
    stateDir: `${dir.path}/crash-device`,
    total: 40,
    killAt: 10,
    restart: () => a.start(),
  });
  console.info(`[cluster] redis broker SIGKILL after ack: ${JSON.stringify({ ...figures, acknowledged: figures.acknowledged.length })}`);
  expect(figures.acknowledged.length).toBeGreaterThanOrEqual(10);
  expect(figures.lost).toBe(0);
  expect(figures.duplicated).toBe(0);
}, 90_000);

it('loses nothing queued for an offline device when Redis itself is SIGKILLed and restarted', async () => {
  const stateDir = `${dir.path}/redis-crash-device`;
  await (await startRecordedDevice(b.url, stateDir)).close();
  const edge = await startTestEdge(a.url);
  const queued = await postInOrder(edge.url, 2_000, 10).finally(() => edge.close());

  await redis.stop('SIGKILL');
  await redis.restart();

  const device = await startRecordedDevice(b.url, stateDir);
  cleanups.push(device.close);
  await device.waitForIds(queued, 30_000);
  expect(device.acks.filter((ack) => ack.result === 'done').map((ack) => ack.id)).toEqual(queued);
  expect([...doneCounts(device.acks).values()].every((n) => n === 1)).toBe(true);
  // Both brokers rode out the Redis outage (ioredis reconnects); neither process exited.
  expect([a.current().child.exitCode, b.current().child.exitCode]).toEqual([null, null]);
}, 90_000);

/** The will keys Redis holds for `clientId`, once `settled` accepts them (the broker drops stale ones after CONNACK). */
async function willsOf(clientId: string, settled: (keys: string[]) => boolean): Promise<string[]> {
  const db = new Redis(redis.port, '127.0.0.1');
  try {
    let keys: string[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      keys = (await db.lrange('will', 0, -1)).filter((key) => key.endsWith(`:${encodeURIComponent(clientId)}`));
      if (settled(keys)) break;
      // Polling a condition with a deadline (5 s), not waiting for time to pass: there is no event to wait on here.
      await delay(50);
    }
    return keys;
  } finally {
    db.disconnect();
  }
}

// Device-side faults over real sockets: offline for a burst of 100 bonks, and the network cut under a live session.
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../contract/index.ts';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { testBrokerConfig } from '../helpers/broker-test-support.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { waitUntil } from '../helpers/wait.ts';
import { doneCounts, postInOrder, startRecordedDevice, startTestEdge } from './fault-kit.ts';
import { startTcpProxy } from './tcp-proxy.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function levelBroker(): Promise<{ broker: RunningBroker; stateDir: string }> {
  const dir = await makeTempDir('bonker-faults-');
  cleanups.push(dir.remove);
  const broker = await startBroker(testBrokerConfig({ BONKER_PERSISTENCE: 'level', BONKER_DATA_DIR: `${dir.path}/broker` }), silentLogger);
  cleanups.push(broker.close);
  return { broker, stateDir: `${dir.path}/device` };
}

describe('device faults', () => {
  it('delivers a burst of 100 bonks sent while the device was offline once each, in publish order', async () => {
    const { broker, stateDir } = await levelBroker();
    const url = `mqtt://127.0.0.1:${broker.mqttPort}`;
    await (await startRecordedDevice(url, stateDir)).close();
    const edge = await startTestEdge(url);
    cleanups.push(edge.close);
    const published = await postInOrder(edge.url, 0, 100);

    const device = await startRecordedDevice(url, stateDir);
    cleanups.push(device.close);
    await device.waitForIds(published, 30_000);
    expect(device.acks.map((ack) => ack.id)).toEqual(published);
    expect(device.acks.every((ack) => ack.result === 'done')).toBe(true);
    expect([...doneCounts(device.acks).values()].every((n) => n === 1)).toBe(true);
    expect(device.strikes()).toBe(100);
  }, 60_000);

  it('reconnects with growing delays after the connection is cut, and gets the bonks queued meanwhile', async () => {
    const { broker, stateDir } = await levelBroker();
    const proxy = await startTcpProxy(broker.mqttPort);
    cleanups.push(proxy.close);
    const device = await startRecordedDevice(proxy.url, stateDir);
    cleanups.push(device.close);
    const edge = await startTestEdge(`mqtt://127.0.0.1:${broker.mqttPort}`);
    cleanups.push(edge.close);
    const before = await postInOrder(edge.url, 0, 3);
    await device.waitForIds(before);

    proxy.cut();
    const cutAt = proxy.attempts.length;
    const queued = await postInOrder(edge.url, 3, 5);
    // Two refused attempts, then the third (1 s, 2 s, 4 s apart in mqtt-session.ts) gets through: enough to see the
    // delay grow.
    await waitUntil(proxy.events, 'attempt', () => proxy.attempts.length >= cutAt + 2, 20_000);
    proxy.heal();
    await device.waitForIds(queued, 30_000);

    const [a, b, c] = proxy.attempts.slice(cutAt, cutAt + 3);
    expect(c! - b!).toBeGreaterThan(b! - a!);
    // A PUBACK cut in flight makes the broker redeliver that bonk: the dedup store answers it `duplicate`, no strike.
    const struck = device.acks.filter((ack) => ack.result === 'done').map((ack) => ack.id);
    expect(struck).toEqual([...before, ...queued]);
    expect(device.acks.every((ack) => ack.result === 'done' || ack.result === 'duplicate')).toBe(true);
    expect(device.strikes()).toBe(8);
    console.info(`[fault] network cut: 8 struck once, ${device.acks.length - 8} redelivered and acked duplicate, attempts ${c! - b!} ms after ${b! - a!} ms`);
  }, 60_000);
});

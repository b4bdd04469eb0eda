// Duplicates from every source strike once per alert episode: repeats, group updates, an HA pair, QoS redelivery.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger, type Ack } from '../../contract/index.ts';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { testBrokerConfig } from '../helpers/broker-test-support.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { waitForEvent, waitUntil } from '../helpers/wait.ts';
import { doneCounts, numberedAlert, postAlert, startRecordedDevice, startTestEdge, type RecordedDevice } from './fault-kit.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

const cleanups: (() => Promise<unknown>)[] = [];
let broker: RunningBroker;
let proxy: TcpProxy;
let device: RecordedDevice;
let edges: { url: string }[];

beforeAll(async () => {
  const dir = await makeTempDir('bonker-dupes-');
  cleanups.push(dir.remove);
  broker = await startBroker(testBrokerConfig({ BONKER_PERSISTENCE: 'level', BONKER_DATA_DIR: `${dir.path}/broker` }), silentLogger);
  cleanups.push(broker.close);
  // The device reaches the broker through a proxy, so the QoS case can lose its PUBACK on the way.
  proxy = await startTcpProxy(broker.mqttPort);
  cleanups.push(proxy.close);
  device = await startRecordedDevice(proxy.url, `${dir.path}/device`);
  cleanups.push(device.close);
  // Two edges on one broker: the HA pair of Alertmanagers each post to their own (or the same) edge. The second
  // remembers nothing (BONKER_EDGE_REPEAT_WINDOW_S=0), so its repeats reach the device's dedup store.
  const url = `mqtt://127.0.0.1:${broker.mqttPort}`;
  edges = [await startTestEdge(url), await startTestEdge(url, { BONKER_EDGE_REPEAT_WINDOW_S: '0' })];
  for (const edge of edges) cleanups.push((edge as unknown as { close(): Promise<void> }).close);
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Waits until `total` acks for these ids have arrived, whatever their result. */
async function acksFor(ids: string[], total: number): Promise<Ack[]> {
  const mine = () => device.acks.filter((ack) => ids.includes(ack.id));
  await waitUntil(device.device.events, 'ack', () => mine().length >= total, 15_000);
  return mine();
}

it('strikes an alert once however often Alertmanager repeats it', async () => {
  const results = [];
  for (let i = 0; i < 3; i++) results.push(await postAlert(edges[0]!.url, numberedAlert(100)));
  const id = results[0]!.published[0]!;
  expect(results.map((r) => r.published)).toEqual([[id], [id], [id]]);
  // The edge stored it once and answers the repeats from that.
  expect(results.map((r) => r.repeated)).toEqual([0, 1, 1]);
  expect((await acksFor([id], 1)).map((a) => a.result)).toEqual(['done']);
  // Repeats through an edge that publishes every time reach the device, whose dedup store answers them.
  for (let i = 0; i < 2; i++) expect((await postAlert(edges[1]!.url, numberedAlert(100))).repeated).toBe(0);
  const acks = await acksFor([id], 3);
  expect(acks.map((a) => a.result)).toEqual(['done', 'duplicate', 'duplicate']);
});

it('strikes each alert of a group once when a new alert makes Alertmanager re-send the group', async () => {
  const first = numberedAlert(200) as { alerts: object[] };
  const second = numberedAlert(201) as { alerts: object[] };
  const alone = await postAlert(edges[1]!.url, first);
  const group = await postAlert(edges[1]!.url, { ...first, alerts: [...first.alerts, ...second.alerts] });
  expect(group.published).toContain(alone.published[0]);
  // Three commands: the first alone, then both again (one is a repeat).
  const acks = await acksFor(group.published, 3);
  expect(doneCounts(device.acks).get(alone.published[0]!)).toBe(1);
  expect(doneCounts(device.acks).get(group.published.find((id) => id !== alone.published[0])!)).toBe(1);
  expect(acks.filter((a) => a.result === 'duplicate')).toHaveLength(1);
  // The remembering edge sends only the new alert of a re-sent group.
  const third = numberedAlert(202) as { alerts: object[] };
  const regrouped = await postAlert(edges[0]!.url, { ...first, alerts: [...first.alerts, ...third.alerts] });
  await postAlert(edges[0]!.url, { ...first, alerts: [...first.alerts, ...second.alerts, ...third.alerts] });
  const newId = regrouped.published.find((id) => !group.published.includes(id))!;
  await acksFor([newId], 1);
  expect(doneCounts(device.acks).get(newId)).toBe(1);
});

it('strikes once when both members of an HA pair deliver the same alert to two edges at once', async () => {
  const body = numberedAlert(300);
  const [a, b] = await Promise.all(edges.map((edge) => postAlert(edge.url, body)));
  expect([a!.status, b!.status]).toEqual([200, 200]);
  expect(a!.published).toEqual(b!.published);
  const acks = await acksFor(a!.published, 2);
  expect(acks.map((ack) => ack.result).sort()).toEqual(['done', 'duplicate']);
});

it('strikes once when the broker redelivers a bonk whose PUBACK was lost', async () => {
  const strikesBefore = device.strikes();
  // The strike has begun, so the PUBACK is still to come: drop it, then cut the connection.
  device.device.events.once('bonk', () => proxy.muteClient());
  const posted = postAlert(edges[0]!.url, numberedAlert(400));
  const [first] = await waitForEvent<[Ack]>(device.device.events, 'ack', { timeoutMs: 10_000 });
  proxy.cut();
  proxy.heal();
  const id = (await posted).published[0]!;
  expect(first.id).toBe(id);
  const acks = await acksFor([id], 2);
  expect(acks.map((ack) => ack.result)).toEqual(['done', 'duplicate']);
  expect(device.strikes() - strikesBefore).toBe(1);
}, 30_000);

it('never struck any id twice across all of the above', () => {
  expect([...doneCounts(device.acks).values()].every((n) => n === 1)).toBe(true);
  expect(device.strikes()).toBe(doneCounts(device.acks).size);
});

// The device's bonk record over a real Aedes: the last N answers retained on `<prefix>/<device>/history`, the total,
// truncated fields, and the record surviving a restart of the agent onto a broker that never saw it.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIELD_MAX_CHARS, parseDeviceState, type DeviceState } from '../contract/index.ts';
import { startAgentTestBed, type AgentTestBed } from '../test/helpers/agent-test-bed.ts';
import { startTestBroker } from '../test/helpers/test-broker.ts';
import { waitForEvent } from '../test/helpers/wait.ts';
import { STATE_FILE } from './bonk-record.ts';
import { bonkJson, connectPublisher, startAgent, topics, type TestAgent } from '../test/helpers/test-agent.ts';

const HISTORY = topics.history('tux');

describe('bonk record', () => {
  let bed: AgentTestBed;

  beforeEach(async () => {
    bed = await startAgentTestBed('bonker-record-', 'viewer');
  });
  afterEach(() => bed.close());

  /** The first history (retained or live) on `client` that passes `accept`. */
  const history = async (client: MqttClient, accept: (state: DeviceState) => boolean) => {
    const seen = waitForEvent<[string, Buffer]>(client, 'message', {
      accept: (topic, payload) => topic === HISTORY && accept(parseDeviceState(payload) ?? { v: 1, total: -1, last: null }),
    });
    await client.subscribeAsync(HISTORY, { qos: 1 });
    return parseDeviceState((await seen)[1])!;
  };

  it('keeps the last N answers newest first, counts only strikes, skips duplicates', async () => {
    const agent = await bed.startAgent({ BONKER_HISTORY_SIZE: '3' });
    const empty = await history(bed.client, () => true);
    expect(empty).toEqual({ v: 1, total: 0, last: null, recent: [] });

    for (const [id, count] of [['b1', 1], ['b2', 2], ['b3', 1], ['b4', 2]] as const) {
      await bed.bonk(bonkJson(id, count));
    }
    await bed.bonk(bonkJson('b4', 2)); // a redelivery: duplicate
    await bed.bonk('not a bonk'); // rejected, with a generated id
    const acks = await agent.waitForAcks(6);
    expect(acks.map((ack) => ack.result)).toEqual(['done', 'done', 'done', 'done', 'duplicate', 'rejected']);

    const full = await history(bed.client, (s) => s.recent?.[0]?.result === 'rejected');
    expect(full.total).toBe(6);
    expect(full.recent!.map((entry) => [entry.id, entry.result])).toEqual([[acks[5]!.id, 'rejected'], ['b4', 'done'], ['b3', 'done']]);
    expect(full.recent![1]).toMatchObject({
      bonks: 2, reason: 'test b4', source: 'alertmanager', namespace: 'bonk', pod: 'memory-eater', container: 'eater',
    });
    expect(full.recent![0]!.error).toMatch(/not understood/);
    // `last` is the last strike, as Home Assistant's sensor has always read it.
    expect(full.last).toMatchObject({ id: 'b4', bonks: 2 });
  });

  it('with BONKER_HISTORY_SIZE=0 publishes no history, so a broker that refuses the topic keeps the device connected', async () => {
    // A broker from before the history topic: like the bundled one's ACL, it refuses the publish and drops the client.
    const old = await startTestBroker({
      authorizePublish: (_client, packet, done) => done(packet.topic.endsWith('/history') ? new Error('not allowed') : null),
    });
    const dropped: string[] = [];
    old.aedes.on('clientDisconnect', (client) => dropped.push(client.id));
    const watcher = await connectPublisher(old.url, 'old-broker-watcher');
    let agent: TestAgent | undefined;
    try {
      await watcher.subscribeAsync([HISTORY, topics.ack('tux')], { qos: 1 });
      const topicsSeen: string[] = [];
      watcher.on('message', (topic) => topicsSeen.push(topic));
      agent = await startAgent(old.url, bed.state.path, { BONKER_HISTORY_SIZE: '0' });
      for (const id of ['old-1', 'old-2']) {
        const acked = waitForEvent<[string, Buffer]>(watcher, 'message', { accept: (topic, payload) => topic === topics.ack('tux') && String(payload).includes(id) });
        await watcher.publishAsync(topics.bonk('tux'), bonkJson(id), { qos: 1 });
        await acked;
      }
      expect(agent.strikes()).toBe(2);
      expect(topicsSeen).not.toContain(HISTORY);
      expect(dropped.filter((id) => id.startsWith('bonker-device-'))).toEqual([]);
    } finally {
      await agent?.device.close();
      await watcher.endAsync();
      await old.close();
    }
  });

  it('cuts long label values and reasons so the retained payload stays small', async () => {
    const agent = await bed.startAgent();
    const long = 'p'.repeat(5_000);
    const bonk = bonkJson('long', 1, { reason: 'r'.repeat(1_000), labels: { namespace: 'n', pod: long, container: long } });
    await bed.bonk(bonk);
    const { recent } = await history(bed.client, (s) => s.total === 1);
    const [entry] = recent!;
    for (const field of [entry!.pod!, entry!.container!, entry!.reason]) {
      expect(field).toHaveLength(FIELD_MAX_CHARS);
      expect(field.endsWith('…')).toBe(true);
    }
    expect(entry!.namespace).toBe('n');
  });

  it('survives a restart: a new broker receives the saved history from the device', async () => {
    const before = await bed.startAgent({ BONKER_HISTORY_SIZE: '2' });
    for (const id of ['r1', 'r2', 'r3']) await bed.bonk(bonkJson(id));
    await before.waitForAcks(3);
    await history(bed.client, (s) => s.total === 3);
    await before.device.close();

    // A fresh in-memory broker holds nothing retained: what arrives comes from the device's state directory.
    await bed.replaceBroker();
    await bed.startAgent({ BONKER_HISTORY_SIZE: '2' });
    const restored = await history(bed.client, () => true);
    expect(restored.total).toBe(3);
    expect(restored.recent!.map((entry) => entry.id)).toEqual(['r3', 'r2']);
  });

  it('starts from nothing on a record file it does not understand, and keeps working', async () => {
    await writeFile(path.join(bed.state.path, STATE_FILE), '{"v":1,"total":"many"');
    const agent = await bed.startAgent();
    expect(await history(bed.client, () => true)).toMatchObject({ total: 0, recent: [] });
    await bed.bonk(bonkJson('after'));
    expect((await history(bed.client, (s) => s.total === 1)).recent![0]!.id).toBe('after');
    expect(agent.logger.entries.some((line) => line.level === 'warn' && /not understood/.test(line.msg ?? ''))).toBe(true);
  });
});

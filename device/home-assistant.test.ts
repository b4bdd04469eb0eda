// Home Assistant discovery against a real Aedes: the payload HA documents, retained, removable, and a PRESS that strikes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseDeviceState } from '../contract/index.ts';
import { startAgentTestBed, type AgentTestBed } from '../test/helpers/agent-test-bed.ts';
import type { TestBroker } from '../test/helpers/test-broker.ts';
import { waitForEvent } from '../test/helpers/wait.ts';
import { createDeviceEvents } from './device-events.ts';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { silentLogger, type Ack } from '../contract/index.ts';
import { createBonkRecord, STATE_FILE } from './bonk-record.ts';
import { discoveryPayload, HA_PRESS, homeAssistantTopics, linkHomeAssistant } from './home-assistant.ts';
import { loadDeviceConfig } from './config.ts';
import { connectPublisher, topics } from '../test/helpers/test-agent.ts';

// The fields https://www.home-assistant.io/integrations/mqtt/ documents for device-based discovery and for the
// button, sensor and availability schemas (abbreviations `dev`, `o`, `cmps`, `p`, `ids`, `mf`, `mdl`, `sw`).
const mqttTopic = z.string().regex(/^[^#+]+$/);
const availability = z.array(
  z.strictObject({ topic: mqttTopic, payload_available: z.string(), payload_not_available: z.string() }),
).min(1);
const common = { unique_id: z.string().regex(/^[A-Za-z0-9_-]+$/), name: z.string(), icon: z.string().startsWith('mdi:'), availability };
const button = z.strictObject({
  ...common, p: z.literal('button'), command_topic: mqttTopic, payload_press: z.string(),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]), retain: z.boolean(),
});
const sensor = z.strictObject({
  ...common, p: z.literal('sensor'), state_topic: mqttTopic, value_template: z.string(),
  state_class: z.enum(['measurement', 'total', 'total_increasing']).optional(), unit_of_measurement: z.string().optional(),
  json_attributes_topic: mqttTopic.optional(), json_attributes_template: z.string().optional(),
  entity_category: z.enum(['config', 'diagnostic']).optional(),
});
const deviceDiscovery = z.strictObject({
  dev: z.object({ ids: z.array(z.string()).min(1), name: z.string(), mf: z.string(), mdl: z.string(), sw: z.string() }),
  o: z.object({ name: z.string(), sw: z.string().optional(), url: z.string().optional() }),
  cmps: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), z.discriminatedUnion('p', [button, sensor])),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]),
});

const haTopics = homeAssistantTopics(loadDeviceConfig({}));

describe('Home Assistant discovery', () => {
  let bed: AgentTestBed;

  beforeEach(async () => {
    bed = await startAgentTestBed('bonker-ha-', 'home-assistant');
  });
  afterEach(() => bed.close());

  /** Resolves with the next message on `topic` (retained ones included when subscribed after this call). */
  const nextMessage = (topic: string, accept: (payload: string, retain: boolean) => boolean = () => true) =>
    waitForEvent<[string, Buffer, { retain: boolean }]>(bed.client, 'message', {
      accept: (t, payload, packet) => t === topic && accept(payload.toString(), packet.retain),
    }).then(([, payload, packet]) => ({ payload: payload.toString(), retain: packet.retain }));

  it('publishes a retained device config that matches the documented schema', async () => {
    const agent = await bed.startAgent();
    await waitForEvent(agent.device.events, 'home-assistant', { accept: (what) => what === 'announced' });
    const config = nextMessage(haTopics.config);
    await bed.client.subscribeAsync(haTopics.config, { qos: 1 });
    const { payload, retain } = await config;
    expect(retain).toBe(true);
    const parsed = deviceDiscovery.parse(JSON.parse(payload));
    const components = Object.values(parsed.cmps);
    expect(components.map((c) => c.p).sort()).toEqual(['button', 'sensor', 'sensor', 'sensor']);
    const driver = components.find((c) => c.unique_id === 'bonker_tux_driver')!;
    expect(driver).toMatchObject({ entity_category: 'diagnostic', state_topic: topics.info('tux') });
    const bonkButton = components.find((c) => c.p === 'button')!;
    expect(bonkButton).toMatchObject({ command_topic: topics.bonk('tux'), payload_press: 'PRESS' });
    for (const component of components) expect(component.availability[0]!.topic).toBe(topics.status('tux'));
    expect(haTopics.config).toBe('homeassistant/device/bonker_tux/config');
  });

  it('strikes on PRESS to the button topic and publishes the new total and pod, retained', async () => {
    const agent = await bed.startAgent();
    const button = Object.values(discoveryPayload(loadDeviceConfig({}), topics).cmps).find((c) => c.p === 'button')!;
    await bed.client.subscribeAsync(haTopics.state, { qos: 1 });
    const counted = nextMessage(haTopics.state, (payload) => parseDeviceState(payload)?.total === 1);
    await bed.client.publishAsync(button.command_topic!, HA_PRESS, { qos: 1 });
    const [ack] = await agent.waitForAcks(1);
    expect(ack).toMatchObject({ result: 'done', bonks: 1 });
    expect(agent.strikes()).toBe(1);
    const { payload, retain } = await counted;
    expect(retain).toBe(false); // a live subscriber gets it as a fresh publish; the broker keeps it retained
    expect(parseDeviceState(payload)).toMatchObject({ total: 1, last: { id: ack!.id, bonks: 1, reason: 'manual bonk' } });
    // The history is the dashboard's (on its own topic); HA's sensors get the total and the last strike only.
    expect(JSON.parse(payload)).not.toHaveProperty('recent');
  });

  it('re-publishes the discovery when Home Assistant announces itself online', async () => {
    const agent = await bed.startAgent();
    await waitForEvent(agent.device.events, 'home-assistant', { accept: (what) => what === 'announced' });
    const again = waitForEvent(agent.device.events, 'home-assistant', { accept: (what) => what === 'announced' });
    await bed.client.subscribeAsync(haTopics.config, { qos: 1 });
    const fresh = nextMessage(haTopics.config, (_payload, retain) => !retain);
    await bed.client.publishAsync(haTopics.birth, 'online', { qos: 0 });
    await again;
    expect(deviceDiscovery.safeParse(JSON.parse((await fresh).payload)).success).toBe(true);
  });

  it('removes the config and state when turned off, and keeps the total across restarts', async () => {
    let agent = await bed.startAgent();
    await bed.bonk('2');
    await agent.waitForAcks(1);
    await bed.client.subscribeAsync([haTopics.config, haTopics.state], { qos: 1 });
    await nextMessage(haTopics.state, (payload) => parseDeviceState(payload)?.total === 2);
    await agent.device.close();

    const removedConfig = nextMessage(haTopics.config, (payload) => payload === '');
    const removedState = nextMessage(haTopics.state, (payload) => payload === '');
    agent = await bed.startAgent({ BONKER_HA_DISCOVERY: 'off' });
    await Promise.all([removedConfig, removedState]);
    expect(await retainedTopics(bed.broker, 'homeassistant/#')).toEqual([]);
    await agent.device.close();

    const restored = nextMessage(haTopics.state, (payload) => parseDeviceState(payload) !== undefined);
    agent = await bed.startAgent();
    expect(parseDeviceState((await restored).payload)).toMatchObject({ total: 2, last: { bonks: 2 } });
  });

  it('coalesces a burst of acks into few state writes, ending at the latest total', async () => {
    const client = await connectPublisher(bed.broker.url, 'ha-burst');
    try {
      const events = createDeviceEvents();
      const config = loadDeviceConfig({ BONKER_STATE_DIR: bed.state.path });
      const record = await createBonkRecord({ config, events, logger: silentLogger });
      linkHomeAssistant({ client, config, topics, events, record, logger: silentLogger });
      let statePublishes = 0;
      client.on('packetsend', (packet: { cmd: string; topic?: string }) => {
        if (packet.cmd === 'publish' && packet.topic === haTopics.state) statePublishes++;
      });
      const ack = (i: number): Ack => ({ id: `burst-${i}`, result: 'done', bonks: 1, startedAt: i, finishedAt: i });
      for (let i = 1; i <= 50; i++) events.emit('ack', ack(i));
      await record.settled();
      // The acks arrived before the first write began, so they share it (one per ack before: 50).
      expect(statePublishes).toBe(1);
      const saved = parseDeviceState(await readFile(path.join(bed.state.path, STATE_FILE), 'utf8'));
      expect(saved).toMatchObject({ total: 50, last: { id: 'burst-50' } });
    } finally {
      await client.endAsync();
    }
  });
});

/** What the broker holds retained under a filter, read from its persistence rather than by waiting for silence. */
async function retainedTopics(broker: TestBroker, filter: string): Promise<string[]> {
  // `persistence` is public in aedes but missing from its type definitions.
  const { persistence } = broker.aedes as unknown as { persistence: { createRetainedStream(f: string): AsyncIterable<{ topic: string }> } };
  const found: string[] = [];
  for await (const packet of persistence.createRetainedStream(filter)) found.push(packet.topic);
  return found;
}

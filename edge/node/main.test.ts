// startEdge against a real in-process Aedes on port 0: bonks reach a subscriber; a lost broker means 503.
import type { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertBonkId, encodeAck, parseBonkPayload, silentLogger, type BonkCommand } from '../../contract/index.ts';
import { fixtures } from '../../test/fixtures/index.ts';
import { startTestBroker, type TestBroker } from '../../test/helpers/test-broker.ts';
import { waitForEvent } from '../../test/helpers/wait.ts';
import { loadEdgeConfig } from '../core/config.ts';
import { startEdge, type RunningEdge } from './main.ts';

describe('startEdge on Node', () => {
  let broker: TestBroker;
  let edge: RunningEdge;
  let subscriber: MqttClient;
  let base: string;

  beforeAll(async () => {
    broker = await startTestBroker();
    edge = await startEdge(
      loadEdgeConfig({ BONKER_BROKER_URL: broker.url, BONKER_EDGE_PORT: '0', BONKER_EDGE_PUBLISH_TIMEOUT_MS: '2000' }),
      silentLogger,
    );
    base = `http://127.0.0.1:${edge.port}`;
    subscriber = await mqtt.connectAsync(broker.url, { clientId: 'edge-test-subscriber', reconnectPeriod: 0 });
    await subscriber.subscribeAsync('bonker/+/bonk', { qos: 2 });
  });
  afterAll(async () => {
    await subscriber?.endAsync(true);
    await edge?.close();
    await broker?.close();
  });

  const post = (body: unknown) =>
    fetch(`${base}/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('is ready once connected to the broker', async () => {
    expect(edge.host).toBe('127.0.0.1');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('publishes a firing alert as a bonk command a subscriber receives at QoS >= 1', async () => {
    const received = waitForEvent<[string, Buffer, { qos: number }]>(subscriber as unknown as EventEmitter, 'message');
    const response = await post(fixtures.firingOne);
    expect(response.status).toBe(200);
    const id = alertBonkId(fixtures.firingOne.alerts[0]!);
    expect(await response.json()).toEqual({ published: [id], coalesced: 0 });
    const [topic, payload, packet] = await received;
    expect(topic).toBe('bonker/tux/bonk');
    expect(packet.qos).toBeGreaterThanOrEqual(1);
    const parsed = parseBonkPayload(payload, { newId: () => 'unused', now: Date.now });
    expect(parsed.ok).toBe(true);
    expect((parsed as { command: BonkCommand }).command).toMatchObject({ id, source: 'alertmanager', count: 1 });
  });

  it('answers a manual bonk nobody acks within the wait with 504, saying it is stored for the device', async () => {
    const quick = await startEdge(
      loadEdgeConfig({ BONKER_BROKER_URL: broker.url, BONKER_EDGE_PORT: '0', BONKER_EDGE_ACK_TIMEOUT_MS: '300' }),
      silentLogger,
    );
    try {
      const received = waitForEvent<[string]>(subscriber as unknown as EventEmitter, 'message', { accept: (t) => t === 'bonker/nosuch/bonk' });
      const response = await fetch(`http://127.0.0.1:${quick.port}/bonk?device=nosuch&wait=ack`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
      });
      expect(response.status).toBe(504);
      const body = (await response.json()) as { error: string; published: string[]; pending: string[] };
      expect(body.error).toBe(
        'no ack came from device nosuch within 300 ms; the bonk is stored and will strike when the device connects, ' +
          'provided it has connected to this broker before (oom-bonker status lists the devices it knows)',
      );
      expect(body.pending).toEqual(body.published);
      await received; // the broker has it
    } finally {
      await quick.close();
    }
  });

  it('shows the counters on /metrics', async () => {
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^bonker_edge_notifications_total 1$/m);
    expect(text).toMatch(/^bonker_edge_alerts_total\{status="firing"\} 1$/m);
    expect(text).toMatch(/^bonker_edge_bonks_published_total 1$/m);
    expect(text).toMatch(/^bonker_edge_publish_duration_seconds_count 1$/m);
    expect(text).toMatch(/^bonker_edge_broker_ready 1$/m);
  });

  it('returns the device acks with ?wait=ack, collected on the ack topic', async () => {
    const alert = { ...fixtures.firingOne.alerts[0]!, startsAt: '2026-11-25T12:00:00Z' };
    const id = alertBonkId(alert);
    // Play the device: ack whatever arrives on the bonk topic.
    const device = (_topic: string, payload: Buffer) => {
      const parsed = parseBonkPayload(payload, { newId: () => 'unused', now: Date.now });
      if (!parsed.ok) return;
      const ack = { id: parsed.command.id, result: 'done' as const, bonks: 1, startedAt: 1, finishedAt: 2 };
      subscriber.publish('bonker/tux/ack', encodeAck(ack), { qos: 1 });
    };
    subscriber.on('message', device);
    await subscriber.subscribeAsync('bonker/tux/ack', { qos: 1 });
    try {
      const response = await fetch(`${base}/alertmanager?wait=ack`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...fixtures.firingOne, alerts: [alert] }),
      });
      expect(await response.json()).toEqual({
        published: [id],
        coalesced: 0,
        acks: [expect.objectContaining({ id, result: 'done' })],
        pending: [],
      });
    } finally {
      subscriber.off('message', device);
    }
  });

  it('answers 503 and is not ready once the broker is gone', async () => {
    const unready = waitForEvent(edge.events, 'unready');
    await broker.close();
    await unready;
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    const response = await post(fixtures.firingTwo);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/not connected/) });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^bonker_edge_errors_total\{kind="publish_failed",step="not_connected"\} 1$/m);
    expect(text).toMatch(/^bonker_edge_errors_total\{kind="publish_failed",step="timeout"\} 0$/m);
    expect(text).toMatch(/^bonker_edge_broker_ready 0$/m);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

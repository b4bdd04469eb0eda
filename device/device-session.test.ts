// The agent's MQTT session against a real in-process Aedes: offline queueing, status and will, rate limit, close.
import type { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAgentTestBed, type AgentTestBed } from '../test/helpers/agent-test-bed.ts';
import { waitForEvent } from '../test/helpers/wait.ts';
import type { LogEntry } from '../test/helpers/recording-logger.ts';
import { deviceClientId } from '../contract/index.ts';
import { bonkJson, REST, STRIKE, topics } from '../test/helpers/test-agent.ts';

describe('device agent session', () => {
  let bed: AgentTestBed;

  /** Changes seen on the status topic, in order, starting with the retained status (repeats collapsed). */
  const watchStatus = async () => {
    const seen: string[] = [];
    bed.client.on('message', (topic, payload) => {
      if (topic === topics.status('tux') && seen.at(-1) !== String(payload)) seen.push(String(payload));
    });
    await bed.client.subscribeAsync(topics.status('tux'), { qos: 1 });
    const next = (status: string) =>
      seen.at(-1) === status
        ? Promise.resolve()
        : waitForEvent<[string, Buffer]>(bed.client as unknown as EventEmitter, 'message', {
            accept: (topic, payload) => topic === topics.status('tux') && String(payload) === status,
          }).then(() => {});
    return { seen, next };
  };

  beforeEach(async () => {
    bed = await startAgentTestBed('bonker-device-', 'session');
  });
  afterEach(() => bed.close());

  it('strikes all 3 bonks published while it was stopped, once it is back', async () => {
    const first = await bed.startAgent();
    await first.device.close();
    for (const id of ['q1', 'q2', 'q3']) await bed.bonk(bonkJson(id));
    const second = await bed.startAgent();
    const acks = await second.waitForAcks(3);
    expect(acks.map((a) => [a.id, a.result])).toEqual([['q1', 'done'], ['q2', 'done'], ['q3', 'done']]);
    expect(second.strikes()).toBe(3);
  });

  it('is retained online after start and offline after close', async () => {
    const agent = await bed.startAgent();
    const status = await watchStatus();
    await status.next('online');
    await agent.device.close();
    await status.next('offline');
    expect(status.seen).toEqual(['online', 'offline']);
  });

  it('goes offline through its last will when its socket dies, and back online on reconnect', async () => {
    const agent = await bed.startAgent();
    const status = await watchStatus();
    await status.next('online');
    const reconnected = waitForEvent(agent.device.events, 'connected', { timeoutMs: 10_000 });
    // The broker-side socket dies as if the Pi lost power or Wi-Fi: no DISCONNECT, so the broker sends the will.
    const clients = (bed.broker.aedes as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients;
    clients[deviceClientId('tux')]!.conn.destroy();
    await status.next('offline');
    await reconnected;
    await status.next('online');
    expect(status.seen).toEqual(['online', 'offline', 'online']);
  });

  it('answers rate_limited once the per-minute cap is used, without striking, and remembers it', async () => {
    const agent = await bed.startAgent({ BONKER_MAX_PER_MINUTE: '2' });
    await bed.bonk(bonkJson('three', 3));
    await bed.bonk(bonkJson('over'));
    await bed.bonk(bonkJson('over'));
    const [partial, limited, again] = await agent.waitForAcks(3);
    expect(partial).toMatchObject({ result: 'done', bonks: 2 });
    expect(partial!.error).toMatch(/rate limit: struck 2 of 3 \(at most 2 strikes per minute\)/);
    expect(limited).toMatchObject({ id: 'over', result: 'rate_limited', bonks: 0, startedAt: null });
    expect(limited!.error).toMatch(/at most 2 strikes per minute/);
    expect(again).toMatchObject({ id: 'over', result: 'duplicate' });
    expect(agent.strikes()).toBe(2);
  });

  it('closes within 5 s when the broker is gone, still parking the servo', async () => {
    const agent = await bed.startAgent();
    await bed.broker.close();
    const started = Date.now();
    await agent.device.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(agent.servo.pulses.map((p) => p.us).slice(-2)).toEqual([REST, 0]);
  });

  it('logs a broker it cannot reach by its cause and address, without a stack', async () => {
    const agent = await bed.startAgent();
    const refused = waitForEvent<[LogEntry]>(agent.logger.events, 'line', { timeoutMs: 10_000, accept: (e) => e.msg === 'mqtt error' && e.obj.code === 'ECONNREFUSED' });
    await bed.broker.close();
    const [line] = await refused;
    expect(line.obj).toMatchObject({ code: 'ECONNREFUSED', broker: expect.stringMatching(/^mqtt:\/\/127\.0\.0\.1:\d+/) });
    expect(JSON.stringify(line.obj)).not.toMatch(/\bat .*\(|stack/);
  });

  it('closes within 5 s mid-command, parking at rest with the pulses off', async () => {
    const agent = await bed.startAgent({ BONKER_MIN_GAP_MS: '300' });
    const firstStrike = waitForEvent(agent.device.events, 'bonk');
    await bed.bonk(bonkJson('long', 10));
    await firstStrike;
    const started = Date.now();
    await agent.device.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    const widths = agent.servo.pulses.map((p) => p.us);
    expect(widths.slice(-2)).toEqual([REST, 0]);
    expect(agent.strikes()).toBeLessThan(10);
    expect(agent.acks).toEqual([
      expect.objectContaining({ id: 'long', result: 'done', bonks: agent.strikes(), error: expect.stringMatching(/shutting down/) }),
    ]);
    await agent.device.close(); // idempotent
    expect(agent.servo.pulses.map((p) => p.us)).toEqual(widths);
    expect(widths.filter((us) => us === STRIKE)).toHaveLength(agent.strikes());
  });
});

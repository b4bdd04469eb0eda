// The agent end to end against a real in-process Aedes: motion, acks, dedup, manual payloads.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAgentTestBed, type AgentTestBed } from '../test/helpers/agent-test-bed.ts';
import { bonkJson, REST, STRIKE, topics } from '../test/helpers/test-agent.ts';

describe('device agent', () => {
  let bed: AgentTestBed;

  beforeEach(async () => {
    bed = await startAgentTestBed('bonker-device-', 'publisher');
  });
  afterEach(() => bed.close());

  it('parks on start, then strikes [strike, rest, 0] per bonk with the configured timing', async () => {
    const timing = { BONKER_SERVO_TRAVEL_MS: '20', BONKER_SERVO_HOLD_MS: '30', BONKER_MIN_GAP_MS: '150' };
    const agent = await bed.startAgent(timing);
    await bed.bonk('2');
    const [ack] = await agent.waitForAcks(1);
    expect(ack).toMatchObject({ result: 'done', bonks: 2 });
    const { pulses } = agent.servo;
    expect(pulses.map((p) => p.us)).toEqual([REST, 0, STRIKE, REST, 0, STRIKE, REST, 0]);
    const gap = (i: number) => pulses[i + 1]!.at - pulses[i]!.at;
    expect(gap(0)).toBeGreaterThanOrEqual(19); // park: rest, travel, off
    for (const first of [2, 5]) {
      expect(gap(first)).toBeGreaterThanOrEqual(49); // travel + hold at the strike
      expect(gap(first + 1)).toBeGreaterThanOrEqual(19); // travel back, then pulses off
    }
    expect(pulses[5]!.at - pulses[2]!.at).toBeGreaterThanOrEqual(149); // min gap between strikes
    expect(ack!.startedAt).toBeLessThanOrEqual(pulses[2]!.at);
    expect(ack!.startedAt).toBeGreaterThan(pulses[1]!.at);
    expect(ack!.finishedAt).toBeGreaterThanOrEqual(pulses[7]!.at);
  });

  it('acks done with the count, then duplicate for the same id without moving', async () => {
    const agent = await bed.startAgent();
    await bed.bonk(bonkJson('abc', 3));
    const [done] = await agent.waitForAcks(1);
    expect(done).toMatchObject({ id: 'abc', result: 'done', bonks: 3, reason: 'test abc' });
    expect(done!.labels).toMatchObject({ pod: 'memory-eater' });
    const pulses = agent.servo.pulses.length;
    await bed.bonk(bonkJson('abc', 3));
    const [, duplicate] = await agent.waitForAcks(2);
    expect(duplicate).toMatchObject({ id: 'abc', result: 'duplicate', bonks: 0, startedAt: null, finishedAt: null });
    expect(agent.servo.pulses).toHaveLength(pulses);
    expect(agent.strikes()).toBe(3);
  });

  it('publishes every ack on the ack topic at QoS 1', async () => {
    const agent = await bed.startAgent();
    const received: unknown[] = [];
    bed.client.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString())));
    await bed.client.subscribeAsync(topics.ack('tux'), { qos: 1 });
    await bed.bonk(bonkJson('on-the-wire'));
    const [ack] = await agent.waitForAcks(1);
    await new Promise<void>((resolve) => (received.length ? resolve() : bed.client.once('message', () => resolve())));
    expect(received).toEqual([ack]);
  });

  it('logs each bonk at info with the alert that caused it', async () => {
    const agent = await bed.startAgent();
    await bed.bonk(bonkJson('logged'));
    await agent.waitForAcks(1);
    const line = agent.logger.entries.find((e) => e.msg === 'bonk');
    expect(line).toMatchObject({
      level: 'info',
      obj: { id: 'logged', reason: 'test logged', source: 'alertmanager', namespace: 'bonk', pod: 'memory-eater', container: 'eater' },
    });
  });

  it.each([
    ['', 'done', 1],
    ['PRESS', 'done', 1],
    ['3', 'done', 3],
  ])('strikes for the manual payload %j', async (payload, result, bonks) => {
    const agent = await bed.startAgent();
    await bed.bonk(payload);
    const [ack] = await agent.waitForAcks(1);
    expect(ack).toMatchObject({ result, bonks });
    expect(agent.strikes()).toBe(bonks);
  });

  it('rejects what it does not understand, with the reason, and keeps going', async () => {
    const agent = await bed.startAgent();
    await bed.bonk('nope');
    await bed.bonk(bonkJson('bad-field', 2, { source: 'pager' }));
    await bed.bonk('1');
    const [nope, badField, after] = await agent.waitForAcks(3);
    expect(nope).toMatchObject({ result: 'rejected', bonks: 0 });
    expect(nope!.error).toMatch(/not understood; expected/);
    expect(badField).toMatchObject({ id: 'bad-field', result: 'rejected', bonks: 0 });
    expect(badField!.error).toMatch(/^invalid bonk command: source:/);
    expect(after).toMatchObject({ result: 'done', bonks: 1 });
    expect(agent.strikes()).toBe(1);
  });

  it('refuses a retained bonk, which would strike again on every new subscription', async () => {
    await bed.client.publishAsync(topics.bonk('tux'), '2', { qos: 1, retain: true });
    const agent = await bed.startAgent();
    const [ack] = await agent.waitForAcks(1);
    expect(ack).toMatchObject({ result: 'rejected', bonks: 0 });
    expect(ack!.error).toMatch(/retained bonk commands are not obeyed/);
    expect(agent.strikes()).toBe(0);
  });
});

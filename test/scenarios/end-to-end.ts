// The end-to-end behaviour every broker must support; run against the bundled broker and against Mosquitto.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics } from '../../contract/index.ts';
import { fixtures } from '../fixtures/index.ts';
import { startChain, STRIKE_US, type Chain } from '../helpers/chain.ts';

export interface BrokerUnderTest {
  url: string;
  close(): Promise<void>;
}

export function describeEndToEnd(name: string, startBroker: () => Promise<BrokerUnderTest>): void {
  describe(`end to end through ${name}`, () => {
    let broker: BrokerUnderTest;
    let chain: Chain;

    beforeAll(async () => {
      broker = await startBroker();
      chain = await startChain(broker.url);
    });
    afterAll(async () => {
      await chain?.close();
      await broker?.close();
    });

    it('turns a firing alert into exactly one strike and an ack', async () => {
      const before = chain.acks.length;
      const { status, body } = await chain.post(fixtures.firingOne);
      expect(status).toBe(200);
      expect(body.published).toHaveLength(1);
      const [ack] = (await chain.waitForAcks(before + 1)).slice(before);
      expect(ack).toMatchObject({ id: (body.published as string[])[0], result: 'done', bonks: 1 });
      expect(ack!.labels?.pod).toBe('memory-eater');
      const strike = chain.servo.pulses.filter((p) => p.us === STRIKE_US);
      expect(strike).toHaveLength(1);
      // After the strike the servo goes back to rest and then stops pulsing.
      const after = chain.servo.pulses.slice(chain.servo.pulses.indexOf(strike[0]!) + 1).map((p) => p.us);
      expect(after).toEqual([1500, 0]);
    });

    it('strikes once per alert however often Alertmanager re-sends it', async () => {
      const strikesBefore = chain.strikes();
      const acksBefore = chain.acks.length;
      // Repeat of the first notification, the group re-sent with a second alert, and another repeat. The edge
      // remembers what it had stored, so only the new alert travels; the device's dedup store is the backstop
      // for repeats that do arrive (test/faults/duplicates.test.ts).
      const answers = [];
      for (const payload of [fixtures.firingOne, fixtures.firingTwo, fixtures.firingOne]) answers.push(await chain.post(payload));
      expect(answers.map((a) => [a.status, a.body.repeated])).toEqual([[200, 1], [200, 1], [200, 1]]);
      const acks = (await chain.waitForAcks(acksBefore + 1)).slice(acksBefore);
      expect(acks.map((a) => a.result)).toEqual(['done']);
      expect(chain.strikes() - strikesBefore).toBe(1);
    });

    it('waits for the device ack when asked to', async () => {
      const alert = { ...fixtures.firingOne.alerts[0]!, startsAt: new Date().toISOString() };
      const { status, body } = await chain.post({ ...fixtures.firingOne, alerts: [alert] }, '?wait=ack');
      expect(status).toBe(200);
      expect(body.acks).toEqual([expect.objectContaining({ id: (body.published as string[])[0], result: 'done' })]);
    });

    it('bonks for the manual payloads of MQTT command-line tools', async () => {
      const client = await mqtt.connectAsync(broker.url, { clientId: `e2e-manual-${Date.now()}` });
      try {
        const strikesBefore = chain.strikes();
        const acksBefore = chain.acks.length;
        const topic = createTopics().bonk('tux');
        for (const payload of ['', '3', 'PRESS', 'twice']) await client.publishAsync(topic, payload, { qos: 1 });
        const acks = (await chain.waitForAcks(acksBefore + 4)).slice(acksBefore);
        expect(acks.map((a) => [a.result, a.bonks])).toEqual([['done', 1], ['done', 3], ['done', 1], ['rejected', 0]]);
        expect(acks[3]!.error).toMatch(/not understood/);
        expect(chain.strikes() - strikesBefore).toBe(5);
      } finally {
        await client.endAsync();
      }
    });
  });
}

// Level persistence: the broker is SIGKILLed right after it acknowledged the edge; no acknowledged bonk is lost.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBrokerProcess, type BrokerProcess } from '../cluster/broker-process.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { crashRightAfterAck } from './crash-after-ack.ts';

let dir: Awaited<ReturnType<typeof makeTempDir>>;
let broker: BrokerProcess;

beforeAll(async () => {
  dir = await makeTempDir('bonker-crash-');
  broker = await createBrokerProcess('level', { persistence: 'level', dataDir: `${dir.path}/broker` });
  await broker.start();
});

afterAll(async () => {
  await broker?.crash();
  await dir?.remove();
});

it('loses none of the bonks the edge answered 200 for, and strikes none twice', async () => {
  const figures = await crashRightAfterAck({
    edgeBroker: broker,
    deviceBrokerUrl: broker.url,
    stateDir: `${dir.path}/device`,
    total: 40,
    killAt: 10,
    restart: () => broker.start(),
  });
  // The figures for the report: printed, then asserted.
  console.info(`[fault] level broker SIGKILL after ack: ${JSON.stringify({ ...figures, acknowledged: figures.acknowledged.length })}`);
  expect(figures.acknowledged.length).toBeGreaterThanOrEqual(10);
  expect(figures.lost).toBe(0);
  expect(figures.duplicated).toBe(0);
}, 90_000);

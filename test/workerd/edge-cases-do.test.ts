// The shared edge case table (edge/edge-cases.ts) against the Worker in Durable Object mode (wrangler dev), whose one
// held broker connection meets every broker behaviour through the switchable front (test/workerd/case-world.ts).
import { afterAll, beforeAll, describe, it } from 'vitest';
import { EDGE_CASE_ENV, edgeCaseRequest, edgeCases, type EdgeCase } from '../../edge/edge-cases.ts';
import { checkEdgeCase, FRONT_MODE, startCaseWorld, type CaseWorld } from './case-world.ts';
import { startWranglerDev, type WranglerDev } from './wrangler-dev.ts';

let world: CaseWorld;
const workers = new Map<string, WranglerDev>();
const envKey = (edgeCase: EdgeCase) => JSON.stringify(edgeCase.env ?? {});

beforeAll(async () => {
  world = await startCaseWorld();
  const distinct = [...new Map(edgeCases.map((c) => [envKey(c), c.env ?? {}])).entries()];
  const started = await Promise.allSettled(
    distinct.map(async ([key, env]) => {
      const vars = { ...EDGE_CASE_ENV, ...env, BONKER_BROKER_URL: world.front.url, BONKER_EDGE_HOST: '127.0.0.1' };
      workers.set(key, await startWranglerDev({ ...(vars as Record<string, string>), BONKER_EDGE_WORKER_MODE: 'durable-object' }));
    }),
  );
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}, 90_000);

afterAll(async () => {
  await Promise.all([...workers.values()].map((w) => w.close()));
  await world?.close();
});

/** As in edge-cases.test.ts, except that a silent broker is one the held connection was already using. */
async function play(edgeCase: EdgeCase, baseUrl: string) {
  const mode = FRONT_MODE[edgeCase.publisher ?? 'stores'];
  if (mode === 'hangs') await fetch(`${baseUrl}/readyz`); // open the held connection, then silence it
  await world.front.setMode(mode);
  const before = world.received.length;
  const send = () => fetch(edgeCaseRequest(edgeCase, baseUrl));
  const response = edgeCase.publisher === 'acks' ? await world.withDevice(send) : await send();
  await world.front.setMode('up');
  await world.barrier();
  await checkEdgeCase(edgeCase, response, world.received.slice(before));
}

describe('edge cases against the Worker in Durable Object mode', () => {
  it.each(edgeCases.map((c) => [c.name, c] as const))('%s', async (_, edgeCase) => {
    await play(edgeCase, workers.get(envKey(edgeCase))!.url);
  });
});

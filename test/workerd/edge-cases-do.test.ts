// The shared edge case table (test/helpers/edge-cases.ts) against the Worker in Durable Object mode (wrangler dev), whose one
// held broker connection meets every broker behaviour through the switchable front (test/workerd/case-world.ts).
// The assertions live in checkEdgeCase (test/helpers/edge-case-check.ts), the same for every build.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { edgeCases } from '../helpers/edge-cases.ts';
import { playEdgeCase, startCaseRun, type CaseRun } from './case-runner.ts';

let run: CaseRun;

beforeAll(async () => {
  run = await startCaseRun({ BONKER_EDGE_WORKER_MODE: 'durable-object' });
}, 90_000);

afterAll(async () => {
  await run?.close();
});

describe('edge cases against the Worker in Durable Object mode', () => {
  it.each(edgeCases.map((c) => [c.name, c] as const))('%s', async (_, edgeCase) => {
    const url = run.workers.urlFor(edgeCase);
    // A silent broker is one the held connection was already using: open it first.
    await playEdgeCase(run.world, edgeCase, url, () => fetch(`${url}/readyz`));
  });
});

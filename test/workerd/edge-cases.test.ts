// The shared edge case table (test/helpers/edge-cases.ts) over real HTTP against both builds: the Worker in workerd
// (wrangler dev) and the Node edge, each publishing to a real Aedes through a front that plays each broker behaviour.
// The assertions live in checkEdgeCase (test/helpers/edge-case-check.ts), the same for every build.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { silentLogger, type Env } from '../../contract/index.ts';
import { loadEdgeConfig } from '../../edge/core/config.ts';
import { EDGE_CASE_ENV, edgeCases, type EdgeCase } from '../helpers/edge-cases.ts';
import { startEdge } from '../../edge/node/main.ts';
import { waitForEvent } from '../helpers/wait.ts';
import { playEdgeCase, startWorkersPerSetting, type WorkersPerSetting } from './case-runner.ts';
import { FRONT_MODE, startCaseWorld, type CaseWorld } from './case-world.ts';

let world: CaseWorld;
let workers: WorkersPerSetting | undefined;

beforeAll(async () => {
  world = await startCaseWorld();
  workers = await startWorkersPerSetting(world);
}, 90_000);

afterAll(async () => {
  await workers?.close();
  await world?.close();
});

describe('edge cases against the Worker in workerd (wrangler dev)', () => {
  it.each(edgeCases.map((c) => [c.name, c] as const))('%s', async (_, edgeCase) => {
    await playEdgeCase(world, edgeCase, workers!.urlFor(edgeCase));
  });
});

describe('edge cases against the Node edge', () => {
  it.each(edgeCases.map((c) => [c.name, c] as const))('%s', async (_name, edgeCase) => {
    await playOnNode(edgeCase);
  });
});

async function playOnNode(edgeCase: EdgeCase) {
  const mode = FRONT_MODE[edgeCase.publisher ?? 'stores'];
  // A broker that goes silent is one the Node edge was connected to: connect first, then silence it.
  await world.front.setMode(mode === 'hangs' ? 'up' : mode);
  const env: Env = { ...EDGE_CASE_ENV, ...edgeCase.env, BONKER_BROKER_URL: world.front.url, BONKER_EDGE_PORT: '0' };
  const edge = await startEdge(loadEdgeConfig(env), silentLogger);
  try {
    if (mode !== 'down') await waitUntilReady(edge.events, edge);
    await playEdgeCase(world, edgeCase, `http://127.0.0.1:${edge.port}`);
  } finally {
    await edge.close();
  }
}

async function waitUntilReady(events: import('node:events').EventEmitter, edge: { port: number }) {
  const ready = await fetch(`http://127.0.0.1:${edge.port}/readyz`).then((r) => r.ok);
  if (!ready) await waitForEvent(events, 'ready');
}

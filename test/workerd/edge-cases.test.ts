// The shared edge case table (test/helpers/edge-cases.ts) over real HTTP against both builds: the Worker in workerd
// (wrangler dev) and the Node edge, each publishing to a real Aedes through a front that plays each broker behaviour.
// The assertions live in checkEdgeCase (test/helpers/edge-case-check.ts), the same for every build.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { silentLogger, type Env } from '../../contract/index.ts';
import { loadEdgeConfig } from '../../edge/core/config.ts';
import { EDGE_CASE_ENV, edgeCases, type EdgeCase } from '../helpers/edge-cases.ts';
import { startEdge } from '../../edge/node/main.ts';
import { waitForEvent } from '../helpers/wait.ts';
import { playEdgeCase, startCaseRun, type CaseRun } from './case-runner.ts';
import { FRONT_MODE } from './case-world.ts';

let run: CaseRun;

beforeAll(async () => {
  run = await startCaseRun();
}, 90_000);

afterAll(async () => {
  await run?.close();
});

describe('edge cases against the Worker in workerd (wrangler dev)', () => {
  it.each(edgeCases.map((c) => [c.name, c] as const))('%s', async (_, edgeCase) => {
    await playEdgeCase(run.world, edgeCase, run.workers.urlFor(edgeCase));
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
  await run.world.front.setMode(mode === 'hangs' ? 'up' : mode);
  const env: Env = { ...EDGE_CASE_ENV, ...edgeCase.env, BONKER_BROKER_URL: run.world.front.url, BONKER_EDGE_PORT: '0' };
  const edge = await startEdge(loadEdgeConfig(env), silentLogger);
  try {
    if (mode !== 'down') await waitUntilReady(edge.events, edge);
    await playEdgeCase(run.world, edgeCase, `http://127.0.0.1:${edge.port}`);
  } finally {
    await edge.close();
  }
}

async function waitUntilReady(events: import('node:events').EventEmitter, edge: { port: number }) {
  const ready = await fetch(`http://127.0.0.1:${edge.port}/readyz`).then((r) => r.ok);
  if (!ready) await waitForEvent(events, 'ready');
}
